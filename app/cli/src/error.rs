//! One error type for the command line: a sentence for the user, no backtrace.

use crossmargin_keeper::ChainError;

/// The message, and whether it is about what the user typed (then no endpoint is named before
/// it: the chain was never asked).
#[derive(Debug)]
pub struct CliError(pub String, pub bool);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

impl CliError {
    pub fn new(msg: impl Into<String>) -> Self {
        CliError(msg.into(), false)
    }

    /// An error in the user's input, found before any network call.
    pub fn input(msg: impl Into<String>) -> Self {
        CliError(msg.into(), true)
    }

    pub fn is_input(&self) -> bool {
        self.1
    }
}

impl From<ChainError> for CliError {
    fn from(e: ChainError) -> Self {
        CliError::new(e.to_string())
    }
}

impl From<anchor_lang::error::Error> for CliError {
    fn from(e: anchor_lang::error::Error) -> Self {
        CliError::new(format!("program math: {e}"))
    }
}

impl From<crossmargin_sdk::config::ConfigError> for CliError {
    fn from(e: crossmargin_sdk::config::ConfigError) -> Self {
        CliError::input(e.0)
    }
}
