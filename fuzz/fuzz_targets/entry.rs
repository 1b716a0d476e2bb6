//! The canonical entry decoder reads every event back from the log, and receipts carry entries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liuhen_ledger::Event;
use liuhen_ledger::tlog::{entry_bundle, parse_entry_bundle};

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = Event::decode(data) {
        // Canonical: one event has exactly one byte string.
        assert_eq!(event.encode().expect("a decoded event encodes"), data);
    }
    if let Ok(entries) = parse_entry_bundle(data) {
        assert_eq!(entry_bundle(entries.iter().map(Vec::as_slice)), data);
    }
});
