export * from './canonical';
export * from './errors';
export * from './etag';
export * from './schema';
export * from './signature';
export * from './oauth';
export * from './model-settings';
export * from './versions';
