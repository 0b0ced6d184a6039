export * from './chat-client';
export * from './credentials';
export * from './endpoint';
export * from './http';
