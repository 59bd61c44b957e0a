// node-oidc-provider configured as the nearest peer of Hybrid's token service: the
// client_credentials grant, private_key_jwt client authentication (RS256 assertions with
// replay detection), and RS256-signed JWT access tokens for one resource.
// Usage: node peer.mjs DIR   (writes DIR/peer.json with its URL and the client's private key)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Provider from 'oidc-provider';

const dir = process.argv[2];
const signing = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const client = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...signing.privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'bench-sts' };
const clientJwk = { ...client.publicKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'bench-client' };

const server = (await import('node:http')).createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const resource = 'urn:hybrid:bench:resource';

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    jwks: { keys: [clientJwk] },
  }],
  jwks: { keys: [signingJwk] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: resource,
        accessTokenTTL: 86400,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
server.on('request', provider.callback());

fs.writeFileSync(path.join(dir, 'peer.json'), JSON.stringify({
  issuer,
  tokenEndpoint: `${issuer}/token`,
  resource,
  clientId: 'bench',
  clientKeyPem: client.privateKey.export({ type: 'pkcs8', format: 'pem' }),
}));
console.log(`peer listening on ${issuer}`);
