//! Tile paths come from anyone who reads the log (c2sp.org/tlog-tiles).
#![no_main]

use libfuzzer_sys::fuzz_target;
use liuhen_ledger::tlog::{parse_tile_path, tile_path};

fuzz_target!(|path: &str| {
    if let Ok(c) = parse_tile_path(path) {
        // One tile, one path: what is accepted is exactly the canonical spelling.
        assert_eq!(tile_path(c.level, c.n, c.width), path);
    }
});
