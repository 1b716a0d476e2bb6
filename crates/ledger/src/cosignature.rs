//! Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 `cosignature/v1`) and the body of a
//! c2sp.org/tlog-witness `add-checkpoint` request.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::tlog::{Hash, TlogError};

/// Signature type of Ed25519 cosignatures in key IDs and verifier keys.
const COSIGNATURE_TYPE: u8 = 0x04;

fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([COSIGNATURE_TYPE]);
    h.update(public);
    h.finalize()[..4].try_into().expect("four bytes")
}

/// The message a cosigner signs: `cosignature/v1`, `time <t>`, then the checkpoint body.
fn signed_message(checkpoint_body: &[u8], timestamp: u64) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(checkpoint_body);
    m
}

/// A witness's key: it cosigns checkpoints of the logs it follows.
pub struct WitnessKey {
    name: String,
    signing: SigningKey,
}

impl WitnessKey {
    pub fn generate(name: &str) -> Result<(WitnessKey, String), TlogError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(TlogError::Key(format!("见证名称“{name}”不能为空，不能含空格或加号")));
        }
        let seed: [u8; 32] = rand::random();
        let key = WitnessKey { name: name.to_string(), signing: SigningKey::from_bytes(&seed) };
        let mut raw = vec![COSIGNATURE_TYPE];
        raw.extend_from_slice(&seed);
        let private = format!("PRIVATE+KEY+{name}+{}+{}", hex::encode(key.id()), BASE64.encode(raw));
        Ok((key, private))
    }

    pub fn from_private(private: &str) -> Result<WitnessKey, TlogError> {
        let parts: Vec<&str> = private.trim().splitn(5, '+').collect();
        let [p, k, name, _, b64] = parts.as_slice() else {
            return Err(TlogError::Key("见证私钥格式有误".into()));
        };
        if *p != "PRIVATE" || *k != "KEY" {
            return Err(TlogError::Key("见证私钥格式有误".into()));
        }
        let raw = BASE64.decode(b64).map_err(|e| TlogError::Key(e.to_string()))?;
        if raw.len() != 33 || raw[0] != COSIGNATURE_TYPE {
            return Err(TlogError::Key("不是 Ed25519 见证密钥".into()));
        }
        let seed: [u8; 32] = raw[1..].try_into().expect("32 bytes");
        Ok(WitnessKey { name: name.to_string(), signing: SigningKey::from_bytes(&seed) })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn id(&self) -> [u8; 4] {
        key_id(&self.name, self.signing.verifying_key().as_bytes())
    }

    /// `name+id+base64(0x04 ‖ public key)`, the vkey logs configure to check cosignatures.
    pub fn verifier_key(&self) -> String {
        let mut raw = vec![COSIGNATURE_TYPE];
        raw.extend_from_slice(self.signing.verifying_key().as_bytes());
        format!("{}+{}+{}", self.name, hex::encode(self.id()), BASE64.encode(raw))
    }

    /// A signature line `— <name> base64(key ID ‖ timestamp ‖ signature)` over the checkpoint body.
    pub fn cosign(&self, checkpoint_body: &[u8], timestamp: u64) -> String {
        let signature = self.signing.sign(&signed_message(checkpoint_body, timestamp));
        let mut raw = self.id().to_vec();
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(&signature.to_bytes());
        format!("\u{2014} {} {}\n", self.name, BASE64.encode(raw))
    }
}

/// A witness's public key as a log or a client configures it.
#[derive(Debug, Clone)]
pub struct WitnessVerifier {
    pub name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl WitnessVerifier {
    pub fn new(vkey: &str) -> Result<WitnessVerifier, TlogError> {
        let parts: Vec<&str> = vkey.trim().splitn(3, '+').collect();
        let [name, id, b64] = parts.as_slice() else {
            return Err(TlogError::Key(format!("见证公钥格式有误: {vkey}")));
        };
        let raw = BASE64.decode(b64).map_err(|e| TlogError::Key(e.to_string()))?;
        if raw.len() != 33 || raw[0] != COSIGNATURE_TYPE {
            return Err(TlogError::Key("不是 Ed25519 见证公钥 (type 0x04)".into()));
        }
        let public: [u8; 32] = raw[1..].try_into().expect("32 bytes");
        let expected = key_id(name, &public);
        if hex::encode(expected) != *id {
            return Err(TlogError::Key("见证公钥的 key ID 与公钥不符".into()));
        }
        let key = VerifyingKey::from_bytes(&public).map_err(|e| TlogError::Key(e.to_string()))?;
        Ok(WitnessVerifier { name: name.to_string(), id: expected, key })
    }

    /// Check one signature line against the checkpoint body; returns its timestamp. Lines of other
    /// keys are `None`.
    pub fn verify_line(&self, checkpoint_body: &[u8], line: &str) -> Option<Result<u64, TlogError>> {
        let rest = line.trim_end_matches('\n').strip_prefix("\u{2014} ")?;
        let (name, b64) = rest.split_once(' ')?;
        if name != self.name {
            return None;
        }
        let raw = BASE64.decode(b64).ok()?;
        if raw.len() != 4 + 8 + 64 || raw[..4] != self.id {
            return None;
        }
        let timestamp = u64::from_be_bytes(raw[4..12].try_into().expect("8 bytes"));
        let signature = ed25519_dalek::Signature::from_bytes(raw[12..].try_into().expect("64 bytes"));
        Some(
            self.key
                .verify(&signed_message(checkpoint_body, timestamp), &signature)
                .map(|_| timestamp)
                .map_err(|e| TlogError::Checkpoint(format!("见证签名无效: {e}"))),
        )
    }
}

/// The body of an `add-checkpoint` request: `old <size>`, the consistency proof, a blank line and
/// the signed checkpoint.
pub fn add_checkpoint_body(old_size: u64, proof: &[Hash], signed_checkpoint: &[u8]) -> Vec<u8> {
    let mut body = format!("old {old_size}\n").into_bytes();
    for h in proof {
        body.extend_from_slice(BASE64.encode(h.0).as_bytes());
        body.push(b'\n');
    }
    body.push(b'\n');
    body.extend_from_slice(signed_checkpoint);
    body
}

#[derive(Debug, Clone)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    pub checkpoint: Vec<u8>,
}

pub fn parse_add_checkpoint(body: &[u8]) -> Result<AddCheckpoint, TlogError> {
    let bad = |why: &str| TlogError::Checkpoint(format!("add-checkpoint 请求格式有误: {why}"));
    let split = body.windows(2).position(|w| w == b"\n\n").ok_or_else(|| bad("no blank line"))?;
    let head = std::str::from_utf8(&body[..split]).map_err(|_| bad("not UTF-8"))?;
    // Lines end in a bare newline, and the size is plain decimal: one request has one spelling
    // (the fuzzer found "old +0" and "\r\n" accepted).
    let mut lines = head.split('\n');
    let old = lines.next().and_then(|l| l.strip_prefix("old ")).ok_or_else(|| bad("old line"))?;
    if old.is_empty() || !old.bytes().all(|b| b.is_ascii_digit()) || (old.len() > 1 && old.starts_with('0')) {
        return Err(bad("old size"));
    }
    let old_size: u64 = old.parse().map_err(|_| bad("old size"))?;
    let proof = lines
        .map(|l| BASE64.decode(l).ok().and_then(|b| crate::tlog::hash_from_slice(&b)).ok_or_else(|| bad("proof line")))
        .collect::<Result<Vec<_>, _>>()?;
    if proof.len() > 63 {
        return Err(bad("more than 63 proof lines"));
    }
    Ok(AddCheckpoint { old_size, proof, checkpoint: body[split + 2..].to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `scripts/fuzz add_checkpoint`: a request the log would never write, read as if it had.
    #[test]
    fn an_add_checkpoint_request_has_one_spelling() {
        let proof = BASE64.encode([7u8; 32]);
        let good = format!("old 5\n{proof}\n\nexample.com/log\n");
        let parsed = parse_add_checkpoint(good.as_bytes()).unwrap();
        assert_eq!(add_checkpoint_body(parsed.old_size, &parsed.proof, &parsed.checkpoint), good.as_bytes());
        for bad in [
            format!("old +5\n{proof}\n\nexample.com/log\n"),
            format!("old 5\r\n{proof}\n\nexample.com/log\n"),
            format!("old 5\n{proof}\r\n\nexample.com/log\n"),
            format!("old 05\n{proof}\n\nexample.com/log\n"),
        ] {
            assert!(parse_add_checkpoint(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cosignatures_sign_and_verify() {
        let (w, private) = WitnessKey::generate("witness.example/示例省高院").unwrap();
        let again = WitnessKey::from_private(&private).unwrap();
        assert_eq!(again.verifier_key(), w.verifier_key());
        let verifier = WitnessVerifier::new(&w.verifier_key()).unwrap();
        let body = b"example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let line = w.cosign(body, 1_679_315_147);
        assert!(line.starts_with("\u{2014} witness.example/示例省高院 "));
        assert_eq!(verifier.verify_line(body, &line).unwrap().unwrap(), 1_679_315_147);
        assert!(
            verifier
                .verify_line(b"example.com/log\n6\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", &line)
                .unwrap()
                .is_err()
        );
        let (other, _) = WitnessKey::generate("witness.example/other").unwrap();
        assert!(verifier.verify_line(body, &other.cosign(body, 1)).is_none(), "another witness's line is ignored");
    }

    #[test]
    fn cosignature_layout_follows_the_spec() {
        // The signed bytes are key ID (4) ‖ big-endian timestamp (8) ‖ Ed25519 signature (64), and
        // the key ID uses signature type 0x04.
        let (w, _) = WitnessKey::generate("w").unwrap();
        let line = w.cosign(b"o\n1\nAAAA\n", 258);
        let raw = BASE64.decode(line.trim_end().rsplit(' ').next().unwrap()).unwrap();
        assert_eq!(raw.len(), 76);
        assert_eq!(&raw[4..12], &258u64.to_be_bytes());
        let vkey = w.verifier_key();
        let id = vkey.split('+').nth(1).unwrap();
        assert_eq!(hex::encode(&raw[..4]), id);
        assert_eq!(BASE64.decode(vkey.splitn(3, '+').nth(2).unwrap()).unwrap()[0], 0x04);
    }

    #[test]
    fn add_checkpoint_bodies_round_trip() {
        let proof = vec![crate::tlog::record_hash(b"a"), crate::tlog::record_hash(b"b")];
        let body = add_checkpoint_body(3, &proof, b"origin\n5\nroot\n\n\xe2\x80\x94 origin sig\n");
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(text.starts_with("old 3\n"));
        let parsed = parse_add_checkpoint(&body).unwrap();
        assert_eq!(
            (parsed.old_size, parsed.proof, parsed.checkpoint),
            (3, proof, b"origin\n5\nroot\n\n\xe2\x80\x94 origin sig\n".to_vec())
        );
        assert!(parse_add_checkpoint(b"old 03\n\nx").is_err());
        assert!(parse_add_checkpoint(b"new 3\n\nx").is_err());
        assert_eq!(parse_add_checkpoint(b"old 0\n\nx").unwrap().old_size, 0);
    }
}
