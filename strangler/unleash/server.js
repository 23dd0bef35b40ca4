// A local Unleash server for strangler's `unleash` flag provider.
//
// Started by `make unleash` (python -m strangler.unleash_local) and by the test suite.
// Configuration comes from the environment so that nothing secret lives in this file:
//   UNLEASH_DATABASE_URL   postgres://user:password@host:port/database (required)
//   UNLEASH_HOST, UNLEASH_PORT              where to listen (127.0.0.1:4242)
//   UNLEASH_ADMIN_TOKEN    an admin API token, "*:*.<secret>"
//   UNLEASH_CLIENT_TOKEN   a backend (SDK) token, "default:development.<secret>"
// Run it with SEND_TELEMETRY=false CHECK_VERSION=false: there is no internet to call home to.
'use strict';

const unleash = require('unleash-server');

function databaseOptions(url) {
  const parsed = new URL(url);
  return {
    user: decodeURIComponent(parsed.username) || 'postgres',
    password: decodeURIComponent(parsed.password),
    // A Unix-socket URL (the embedded pgserver) names its socket directory in ?host=.
    host: parsed.searchParams.get('host') || parsed.hostname || '127.0.0.1',
    port: Number(parsed.port || 5432),
    database: parsed.pathname.replace(/^\//, ''),
    ssl: false,
  };
}

function apiTokens(env) {
  const tokens = [];
  if (env.UNLEASH_ADMIN_TOKEN) {
    tokens.push({
      secret: env.UNLEASH_ADMIN_TOKEN,
      type: 'admin',
      projects: ['*'],
      environment: '*',
      tokenName: 'strangler-admin',
    });
  }
  if (env.UNLEASH_CLIENT_TOKEN) {
    tokens.push({
      secret: env.UNLEASH_CLIENT_TOKEN,
      type: 'client',
      projects: ['default'],
      environment: 'development',
      tokenName: 'strangler-router',
    });
  }
  return tokens;
}

async function main(env) {
  if (!env.UNLEASH_DATABASE_URL) {
    throw new Error('UNLEASH_DATABASE_URL is not set');
  }
  const host = env.UNLEASH_HOST || '127.0.0.1';
  const port = Number(env.UNLEASH_PORT || 4242);
  await unleash.start({
    db: databaseOptions(env.UNLEASH_DATABASE_URL),
    server: { host, port },
    authentication: { enableApiToken: true, initApiTokens: apiTokens(env) },
    versionCheck: { enable: false },
    logLevel: env.UNLEASH_LOG_LEVEL || 'warn',
  });
  // One machine-readable line: the launcher waits for it (never prints the tokens).
  console.log(JSON.stringify({ ready: true, url: `http://${host}:${port}` }));
}

main(process.env).catch((error) => {
  console.error(`unleash: ${error.message}`);
  process.exit(1);
});
