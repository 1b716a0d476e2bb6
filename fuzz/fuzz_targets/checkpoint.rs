//! Signed checkpoints (c2sp.org/tlog-checkpoint, signed-note) arrive from logs and witnesses.
//! The input is a verifier key on its first line and the note after it, so that seeds with a
//! valid signature let the fuzzer reach past the signature check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liuhen_ledger::cosignature::WitnessVerifier;
use liuhen_ledger::tlog::open_checkpoint;

fuzz_target!(|data: &[u8]| {
    let Some(split) = data.iter().position(|b| *b == b'\n') else { return };
    let Ok(key) = std::str::from_utf8(&data[..split]) else { return };
    let note = &data[split + 1..];
    let _ = open_checkpoint(note, key);
    // A cosignature line checked against the note's body (c2sp.org/tlog-cosignature).
    if let Ok(verifier) = WitnessVerifier::new(key)
        && let Ok(text) = std::str::from_utf8(note)
        && let Some((body, line)) = text.rsplit_once('\n')
    {
        let _ = verifier.verify_line(body.as_bytes(), line);
    }
});
