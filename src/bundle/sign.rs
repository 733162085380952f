//! Signing the bundle manifest with an Ed25519 key in minisign's format, and checking it.
//!
//! Keys are minisign's own files (`minisign -G`; `-W` for one without a password), so
//! `minisign -Vm manifest.json -p KEY.pub` checks a bundle without evidencer. The `minisign`
//! crate reads and decrypts the secret key (scrypt, with the password from the
//! `EVIDENCER_SIGN_PASSWORD` environment variable; never from a flag, never prompted) and
//! checks signatures. The signature itself is made here with `ed25519-dalek`, because the
//! crate's signer mixes random noise into every signature while a bundle must be
//! byte-identical from one run to the next: Ed25519 as RFC 8032 defines it is
//! deterministic, and minisign's format (BLAKE2b-512 of the file, signed; then the
//! signature and the trusted comment, signed) needs nothing else. Every signature made is
//! checked with the crate's verifier before it is written.
//!
//! The secret key is held only in memory, wiped when dropped, and never written, logged or
//! shown in an error.

use std::io::Cursor;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use blake2::{Blake2b512, Digest};
use ed25519_dalek::Signer;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The environment variable holding the password of an encrypted signing key.
pub const PASSWORD_ENV: &str = "EVIDENCER_SIGN_PASSWORD";

/// The public half of a key, as the manifest records it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyInfo {
    /// minisign's key id: 16 hex digits, as `minisign` prints it.
    pub key_id: String,
    /// The public key as the second line of a minisign `.pub` file.
    pub public_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("cannot read signing key {path}")]
    Read {
        path: String,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error(
        "signing key {path} is not a minisign secret key ({why}); create one with `minisign -G` (or `minisign -GW` without a password)"
    )]
    NotAKey { path: String, why: String },
    #[error(
        "signing key {path} is encrypted: set the environment variable {PASSWORD_ENV} to its password (it is never taken from a flag)"
    )]
    NoPassword { path: String },
    #[error("signing key {path}: cannot decrypt it ({why}); check {PASSWORD_ENV}")]
    Decrypt { path: String, why: String },
    #[error("signing failed: the signature made does not verify ({0}); this is a bug")]
    SelfCheck(String),
    #[error("cannot read public key {path}")]
    ReadPublic {
        path: String,
        #[source]
        source: crate::base::input::InputError,
    },
    #[error("{path} is not a minisign public key ({why})")]
    NotAPublicKey { path: String, why: String },
}

/// The most `verify --pubkey` reads: a minisign public key file is two short lines, so a
/// file this large is not one. (`verify` has no `--max-file-size`.)
pub const PUBLIC_KEY_LIMIT: u64 = 1 << 20;

/// A secret key ready to sign; the key material is wiped on drop.
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    keynum: [u8; 8],
    public: minisign::PublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &key_id(&self.keynum))
            .finish_non_exhaustive()
    }
}

fn key_id(keynum: &[u8]) -> String {
    let mut n = [0u8; 8];
    n.copy_from_slice(&keynum[..8]);
    format!("{:016X}", u64::from_le_bytes(n))
}

// Offsets in minisign's secret key bytes: sig_alg 2, kdf_alg 2, chk_alg 2, salt 32,
// opslimit 8, memlimit 8, then the key number (8) and the Ed25519 secret key (64: the
// seed, then the public key), then a checksum.
const KDF_ALG: std::ops::Range<usize> = 2..4;
const KEYNUM: std::ops::Range<usize> = 54..62;
const SEED: std::ops::Range<usize> = 62..94;
const PUBLIC: std::ops::Range<usize> = 94..126;
const CHECKSUM: std::ops::Range<usize> = 126..158;

impl SigningKey {
    /// Reads a minisign secret key file; an encrypted one is decrypted with the password
    /// in [`PASSWORD_ENV`].
    /// A file over `limit` bytes (or not a regular file) is refused.
    pub fn load(path: &Path, limit: u64) -> Result<SigningKey, SignError> {
        let password = std::env::var(PASSWORD_ENV).ok().map(Zeroizing::new);
        Self::load_with(path, password.as_ref().map(|p| p.as_str()), limit)
    }

    /// [`SigningKey::load`] with the password given.
    pub fn load_with(
        path: &Path,
        password: Option<&str>,
        limit: u64,
    ) -> Result<SigningKey, SignError> {
        let shown = path.display().to_string();
        let text = Zeroizing::new(crate::base::input::read_to_string(path, limit).map_err(
            |source| SignError::Read {
                path: shown.clone(),
                source,
            },
        )?);
        let not_a_key = |why: &str| SignError::NotAKey {
            path: shown.clone(),
            why: why.to_string(),
        };
        let encoded = text
            .lines()
            .nth(1)
            .filter(|_| text.starts_with("untrusted comment:"))
            .ok_or_else(|| not_a_key("no `untrusted comment:` line followed by the key"))?;
        let raw = Zeroizing::new(
            B64.decode(encoded.trim())
                .map_err(|_| not_a_key("the key line is not base64"))?,
        );
        if raw.len() < PUBLIC.end || &raw[..2] != b"Ed" {
            return Err(not_a_key("not an Ed25519 minisign secret key"));
        }
        let encrypted = raw[KDF_ALG] != [0, 0];
        let bytes = if encrypted {
            let Some(password) = password else {
                return Err(SignError::NoPassword { path: shown });
            };
            let sk_box = minisign::SecretKeyBox::from_string(&text)
                .map_err(|e| not_a_key(&e.to_string()))?;
            let sk = sk_box
                .into_secret_key(Some(password.to_string()))
                .map_err(|e| SignError::Decrypt {
                    path: shown.clone(),
                    why: e.to_string(),
                })?;
            Zeroizing::new(sk.to_bytes())
        } else {
            // Read directly: minisign 0.11 writes unencrypted keys (`-W`) with an all-zero
            // checksum, which the crate refuses. The seed deriving the stored public key
            // (checked below) is a stronger test than the checksum anyway.
            if raw.len() < CHECKSUM.end {
                return Err(not_a_key("the key is cut short"));
            }
            let chk = &raw[CHECKSUM];
            if chk.iter().any(|b| *b != 0) {
                let mut h = blake2::Blake2b::<blake2::digest::consts::U32>::new();
                h.update(&raw[..2]);
                h.update(&raw[KEYNUM]);
                h.update(&raw[SEED.start..PUBLIC.end]);
                if h.finalize()[..] != *chk {
                    return Err(not_a_key(
                        "its checksum does not match: the file is damaged",
                    ));
                }
            }
            raw.clone()
        };
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&bytes[SEED]);
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        if key.verifying_key().as_bytes()[..] != bytes[PUBLIC] {
            return Err(not_a_key(
                "its public half does not belong to its secret half",
            ));
        }
        let mut keynum = [0u8; 8];
        keynum.copy_from_slice(&bytes[KEYNUM]);
        let mut public_bytes = b"Ed".to_vec();
        public_bytes.extend_from_slice(&keynum);
        public_bytes.extend_from_slice(&bytes[PUBLIC]);
        let public = minisign::PublicKey::from_bytes(&public_bytes)
            .map_err(|e| not_a_key(&e.to_string()))?;
        Ok(SigningKey {
            key,
            keynum,
            public,
        })
    }

    /// The public half, as the manifest records it.
    pub fn info(&self) -> KeyInfo {
        KeyInfo {
            key_id: key_id(&self.keynum),
            public_key: self.public.to_base64(),
        }
    }

    /// A minisign signature file (`.minisig`) of `data`, with `trusted` as its trusted
    /// comment. The same key, data and comment give the same bytes.
    pub fn sign(&self, data: &[u8], trusted: &str) -> Result<Vec<u8>, SignError> {
        let prehash = Blake2b512::digest(data);
        let signature = self.key.sign(&prehash).to_bytes();
        let mut line = Vec::with_capacity(74);
        line.extend_from_slice(b"ED");
        line.extend_from_slice(&self.keynum);
        line.extend_from_slice(&signature);
        let mut signed_comment = signature.to_vec();
        signed_comment.extend_from_slice(trusted.as_bytes());
        let global = self.key.sign(&signed_comment).to_bytes();
        let text = format!(
            "untrusted comment: signature from evidencer, key {}\n{}\ntrusted comment: {trusted}\n{}\n",
            key_id(&self.keynum),
            B64.encode(&line),
            B64.encode(global)
        );
        check(&self.public, data, &text).map_err(SignError::SelfCheck)?;
        Ok(text.into_bytes())
    }
}

/// Reads a minisign public key: a `.pub` file, or a file holding only its key line. A key
/// is a line of text: a file over [`PUBLIC_KEY_LIMIT`] bytes (or not a regular file) is
/// refused.
pub fn load_public_key(path: &Path) -> Result<(minisign::PublicKey, KeyInfo), SignError> {
    let shown = path.display().to_string();
    let text = crate::base::input::read_to_string(path, PUBLIC_KEY_LIMIT).map_err(|source| {
        SignError::ReadPublic {
            path: shown.clone(),
            source,
        }
    })?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let parsed = match lines.as_slice() {
        [line] => minisign::PublicKey::from_base64(line.trim()),
        _ => minisign::PublicKeyBox::from_string(&text).and_then(|b| b.into_public_key()),
    };
    let pk = parsed.map_err(|e| SignError::NotAPublicKey {
        path: shown,
        why: e.to_string(),
    })?;
    let info = public_info(&pk);
    Ok((pk, info))
}

/// The manifest's record of a public key.
pub fn public_info(pk: &minisign::PublicKey) -> KeyInfo {
    let bytes = pk.to_bytes();
    KeyInfo {
        key_id: key_id(&bytes[2..10]),
        public_key: pk.to_base64(),
    }
}

/// Parses a public key as the manifest records it.
pub fn public_from_info(info: &KeyInfo) -> Result<minisign::PublicKey, String> {
    minisign::PublicKey::from_base64(&info.public_key).map_err(|e| e.to_string())
}

/// Checks a minisign signature (the text of a `.minisig` file) of `data` against `pk`;
/// the error says why it does not hold.
pub fn check(pk: &minisign::PublicKey, data: &[u8], signature: &str) -> Result<(), String> {
    let sig = minisign::SignatureBox::from_string(signature)
        .map_err(|e| format!("not a minisign signature: {e}"))?;
    minisign::verify(pk, &sig, Cursor::new(data), true, false, false).map_err(|e| e.to_string())
}

/// The key id a signature names (16 hex digits), when it can be read.
pub fn signature_key_id(signature: &str) -> Option<String> {
    let sig = minisign::SignatureBox::from_string(signature).ok()?;
    Some(key_id(sig.keynum()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a fresh key pair: (secret key file, public key file). Encrypted when a
    /// password is given.
    pub(crate) fn key_pair(
        dir: &Path,
        name: &str,
        password: Option<&str>,
    ) -> (std::path::PathBuf, std::path::PathBuf) {
        let kp = match password {
            Some(p) => minisign::KeyPair::generate_encrypted_keypair(Some(p.to_string())),
            None => minisign::KeyPair::generate_unencrypted_keypair(),
        }
        .unwrap();
        let sk = dir.join(format!("{name}.key"));
        let pk = dir.join(format!("{name}.pub"));
        std::fs::write(&sk, kp.sk.to_box(None).unwrap().to_string()).unwrap();
        std::fs::write(&pk, kp.pk.to_box().unwrap().to_string()).unwrap();
        (sk, pk)
    }

    /// Deterministic: Ed25519 signs without randomness, and the signature carries no time
    /// (minisign's tool puts a timestamp in the trusted comment; here it is only the text
    /// given), so the key loaded again from another copy of its file signs the same bytes.
    #[test]
    fn signatures_are_deterministic_and_verify_with_minisign() {
        let dir = tempfile::tempdir().unwrap();
        let (sk, pk) = key_pair(dir.path(), "k", None);
        let key = SigningKey::load_with(&sk, None, 1 << 20).unwrap();
        let a = key.sign(b"manifest", "evidencer bundle").unwrap();
        let copy = dir.path().join("copy.key");
        std::fs::copy(&sk, &copy).unwrap();
        let again = SigningKey::load_with(&copy, None, 1 << 20).unwrap();
        assert_eq!(a, again.sign(b"manifest", "evidencer bundle").unwrap());
        let (public, info) = load_public_key(&pk).unwrap();
        assert_eq!(info, key.info());
        let text = String::from_utf8(a).unwrap();
        assert_eq!(
            text.lines().nth(2),
            Some("trusted comment: evidencer bundle")
        );
        check(&public, b"manifest", &text).unwrap();
        assert!(check(&public, b"manifesT", &text).is_err());
        assert_eq!(signature_key_id(&text), Some(info.key_id.clone()));
        let secret = std::fs::read_to_string(&sk).unwrap();
        let secret_line = secret.lines().nth(1).unwrap();
        assert!(!text.contains(secret_line));
        assert!(!format!("{key:?}").contains(secret_line));
    }

    #[test]
    fn another_key_does_not_verify() {
        let dir = tempfile::tempdir().unwrap();
        let (sk, _) = key_pair(dir.path(), "a", None);
        let (_, other) = key_pair(dir.path(), "b", None);
        let sig = SigningKey::load_with(&sk, None, 1 << 20)
            .unwrap()
            .sign(b"m", "t")
            .unwrap();
        let (other, _) = load_public_key(&other).unwrap();
        let e = check(&other, b"m", std::str::from_utf8(&sig).unwrap()).unwrap_err();
        assert!(e.contains("key id"), "{e}");
    }

    #[test]
    fn encrypted_keys_need_the_password_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let (sk, pk) = key_pair(dir.path(), "enc", Some("correct horse"));
        let e = SigningKey::load_with(&sk, None, 1 << 20).unwrap_err();
        assert!(e.to_string().contains(PASSWORD_ENV), "{e}");
        let e = SigningKey::load_with(&sk, Some("wrong"), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("cannot decrypt"), "{e}");
        assert!(
            !e.to_string().contains("wrong"),
            "the password is never shown: {e}"
        );
        let key = SigningKey::load_with(&sk, Some("correct horse"), 1 << 20).unwrap();
        let sig = key.sign(b"m", "t").unwrap();
        let (public, _) = load_public_key(&pk).unwrap();
        check(&public, b"m", std::str::from_utf8(&sig).unwrap()).unwrap();
    }

    #[test]
    fn files_that_are_not_keys_are_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, "hello\n").unwrap();
        let e = SigningKey::load_with(&path, None, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("not a minisign secret key"), "{e}");
        let (_, pk) = key_pair(dir.path(), "p", None);
        let e = SigningKey::load_with(&pk, None, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("not"), "{e}");
        let e = load_public_key(&path).unwrap_err();
        assert!(e.to_string().contains("not a minisign public key"), "{e}");
    }
}
