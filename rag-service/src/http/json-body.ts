import express from 'express';

export const JSON_BODY_LIMIT = '1mb';

/**
 * The JSON body parser. Routers put it after their `auth`, never app-wide: a caller without credentials
 * must not make the service read and parse a megabyte first.
 */
export const jsonBody = express.json({
  limit: JSON_BODY_LIMIT,
  type: ['application/json', 'application/*+json'],
});
