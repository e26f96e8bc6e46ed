use clap::Parser;

/// mimalloc, not the system allocator: msb builds and drops many small
/// strings and vectors per Dockerfile, and glibc's malloc and free were a
/// third of the instructions of a fleet run (`scripts/bench`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = msb::cli::Cli::parse();
    let code = match msb::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("msb: {e:#}");
            msb::cli::EXIT_ERROR
        }
    };
    std::process::exit(code);
}
