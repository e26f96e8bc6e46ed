use clap::Parser;

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
