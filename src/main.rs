//! The `fluenzr` executable: parses the command line and runs the server or a command.

use fluenzr::cli::{self, Cli, Command};
use fluenzr::startup::Application;

fn main() -> anyhow::Result<()> {
    let args = Cli::parse_args();
    fluenzr::telemetry::init(args.log.as_deref());
    let serve = match args.command {
        None => args.serve,
        Some(Command::Serve(serve)) => serve,
        Some(command) => return cli::run(&args.db, command),
    };
    let config = serve.into_config(args.db)?;
    let workers = config.workers;
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(config).await?;
        if let Some(secret) = application.first_start_key() {
            println!(
                "Created a Pro workspace for this new database. Its API key, shown only once:"
            );
            println!("{secret}");
        }
        tracing::info!(address = %application.address(), workers, "fluenzr is listening");
        application.run_until_stopped().await?;
        anyhow::Ok(())
    })
}
