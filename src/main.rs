//! `liuhen`: serve the store of outside inquiries, set up a demo, administer courts and users
//! (the commands are in `src/cli/`).

use clap::Parser;

mod cli;

// Canonical encoding, `verify` and the API allocate many small objects; mimalloc serves them
// faster than glibc's malloc (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIUHEN_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    cli::run(&cli::Cli::parse()).await
}
