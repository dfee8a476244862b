#!/usr/bin/env node
// genkey.js - write a fresh key pair for the interop test: PKCS#8 private key and SPKI public
// key, both PEM. usage: node genkey.js p256|p384|p521|ed25519 PRIVATE.pem PUBLIC.pem
'use strict';

const crypto = require('crypto');
const fs = require('fs');

const [type, priv, pub] = process.argv.slice(2);
const curves = { p256: 'P-256', p384: 'P-384', p521: 'P-521' };
const enc = {
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
};
let pair;
if (type === 'ed25519') {
  pair = crypto.generateKeyPairSync('ed25519', enc);
} else if (curves[type]) {
  pair = crypto.generateKeyPairSync('ec', { namedCurve: curves[type], ...enc });
} else {
  console.error('usage: node genkey.js p256|p384|p521|ed25519 PRIVATE.pem PUBLIC.pem');
  process.exit(2);
}
fs.writeFileSync(priv, pair.privateKey, { mode: 0o600 });
fs.writeFileSync(pub, pair.publicKey);
