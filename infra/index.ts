import { readSettings } from './src/settings';
import { createStack } from './src/stack';

const outputs = createStack(readSettings());

/** The URL to set as the `rag-service` remote's `baseUrl` in manifest.yml. */
export const serviceUrl = outputs.serviceUrl;
export const documentsBucket = outputs.documentsBucket;
export const documentsPrefix = outputs.documentsPrefix;
export const qdrantUrl = outputs.qdrantUrl;
/** The RDS instance, cluster and service: to rotate the database password and restart the tasks (README). */
export const databaseInstance = outputs.databaseInstance;
export const cluster = outputs.cluster;
export const service = outputs.service;
