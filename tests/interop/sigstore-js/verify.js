#!/usr/bin/env node
// verify.js - verify a Sigstore bundle offline with sigstore-js (@sigstore/verify), an
// implementation independent of bulwark, using only a PEM public key.
//
// usage: node verify.js PUBLIC.pem BUNDLE.json [--any-hint]
// The key is offered only under its model_signing hint (hex SHA-256 of the PEM text), so a
// bundle whose verificationMaterial.publicKey.hint is wrong fails too; --any-hint offers it
// under whatever hint the bundle names (to test the signature check alone). On success prints
// "ok <payloadType> <subject name> sha256:<subject digest>" and exits 0; a bundle that does
// not verify prints "fail <error code>: <message>" and exits 1; usage errors exit 2.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const anyHint = process.argv[4] === '--any-hint';
if (process.argv.length !== 4 && !(process.argv.length === 5 && anyHint)) {
  console.error('usage: node verify.js PUBLIC.pem BUNDLE.json [--any-hint]');
  process.exit(2);
}
// the PEM block alone (a key file may start with a text dump, as model_signing's test key does)
const text = fs.readFileSync(process.argv[2], 'utf8');
const pem = text.slice(Math.max(0, text.indexOf('-----BEGIN')));
const hint = crypto.createHash('sha256').update(pem).digest('hex');
const key = crypto.createPublicKey(pem);

// no transparency log, certificate authority or timestamp authority: a key-only trust root
const trustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};
const keyFinder = (h) => {
  if (h !== hint && !anyHint) {
    throw new Error(`no key with hint ${h}`);
  }
  return { publicKey: key, validFor: () => true };
};

try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(process.argv[3], 'utf8')));
  const verifier = new Verifier(toTrustMaterial(trustedRoot, keyFinder), {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    tsaThreshold: 0,
  });
  verifier.verify(toSignedEntity(bundle));
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new Error('not a DSSE bundle');
  }
  const env = bundle.content.dsseEnvelope;
  const stmt = JSON.parse(Buffer.from(env.payload).toString('utf8'));
  const subj = stmt.subject[0];
  console.log(`ok ${env.payloadType} ${subj.name} sha256:${subj.digest.sha256}`);
} catch (e) {
  console.log(`fail ${e.code || e.name}: ${e.message}`);
  process.exit(1);
}
