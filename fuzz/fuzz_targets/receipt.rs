//! A receipt file (R1), checked offline by `liuhen receipt verify` on whatever file it is given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liuhen_ledger::receipt::{Receipt, verify_receipt};

fuzz_target!(|data: &[u8]| {
    if let Ok(receipt) = serde_json::from_slice::<Receipt>(data) {
        let _ = verify_receipt(&receipt, &receipt.verifier_key.clone(), None);
    }
});
