import { readSettings } from './src/settings';
import { createStack } from './src/stack';

const outputs = createStack(readSettings());

/** The URL to set as the `rag-service` remote's `baseUrl` in manifest.yml. */
export const serviceUrl = outputs.serviceUrl;
export const documentsBucket = outputs.documentsBucket;
export const qdrantUrl = outputs.qdrantUrl;
