//! The `liuhen` command's library side: configuration and the demo data, shared by the binary and
//! the tests.

pub mod config;
pub mod demo;
pub mod migrate;
pub mod remote;
pub mod storage;
