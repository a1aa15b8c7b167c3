// A software WebAuthn authenticator for the API checks (the browser test
// uses Chromium's virtual authenticator instead): "none" attestation, a
// COSE ES256 key in CBOR, authenticator data with the relying party id
// hash, the UP and UV flags and a sign counter, ECDSA P-256 signatures
// over authenticatorData || SHA-256(clientDataJSON).
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const sha256 = (b) => createHash('sha256').update(b).digest();

/** The CBOR encoding of the few shapes attestation needs. */
function cbor(v) {
  const head = (major, n) => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  };
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  if (v instanceof Map) {
    const parts = [head(5, v.size)];
    for (const [k, x] of v) parts.push(cbor(k), cbor(x));
    return Buffer.concat(parts);
  }
  throw new Error(`cbor: unsupported ${typeof v}`);
}

export class SoftAuthenticator {
  constructor(origin, rpId = 'localhost') {
    this.origin = origin;
    this.rpId = rpId;
    this.credId = randomBytes(32);
    this.keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.handle = null;
    this.counter = 0;
  }

  authData(attested) {
    const flags = 0x01 | 0x04 | (attested ? 0x40 : 0);
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([sha256(this.rpId), Buffer.from([flags]), counter, attested || Buffer.alloc(0)]);
  }

  clientData(type, challenge) {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  /** The PublicKeyCredential JSON navigator.credentials.create would give for a begin answer ({ options }). */
  create(answer) {
    const pk = answer.options.publicKey;
    this.handle = pk.user.id;
    const jwk = this.keys.publicKey.export({ format: 'jwk' });
    const cose = cbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]));
    const len = Buffer.alloc(2);
    len.writeUInt16BE(this.credId.length);
    const attested = Buffer.concat([Buffer.alloc(16), len, this.credId, cose]);
    const att = cbor(new Map([['fmt', 'none'], ['attStmt', new Map()], ['authData', this.authData(attested)]]));
    return {
      id: b64u(this.credId), rawId: b64u(this.credId), type: 'public-key', clientExtensionResults: {},
      response: { clientDataJSON: b64u(this.clientData('webauthn.create', pk.challenge)), attestationObject: b64u(att), transports: ['internal'] },
    };
  }

  /** The assertion JSON navigator.credentials.get would give for a begin (or challenge) answer ({ options }). */
  get(answer) {
    const cd = this.clientData('webauthn.get', answer.options.publicKey.challenge);
    const ad = this.authData(null);
    const sig = sign('sha256', Buffer.concat([ad, sha256(cd)]), this.keys.privateKey);
    return {
      id: b64u(this.credId), rawId: b64u(this.credId), type: 'public-key', clientExtensionResults: {},
      response: { clientDataJSON: b64u(cd), authenticatorData: b64u(ad), signature: b64u(sig), userHandle: this.handle },
    };
  }
}
