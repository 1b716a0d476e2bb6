//! The body of a witness's `add-checkpoint` request (c2sp.org/tlog-witness), from the log below.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liuhen_ledger::cosignature::{add_checkpoint_body, parse_add_checkpoint};

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = parse_add_checkpoint(data) {
        assert_eq!(add_checkpoint_body(request.old_size, &request.proof, &request.checkpoint), data);
    }
});
