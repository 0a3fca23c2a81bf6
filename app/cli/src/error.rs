//! One error type for the command line: a sentence for the user, no backtrace.

use crossmargin_keeper::ChainError;

#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

impl CliError {
    pub fn new(msg: impl Into<String>) -> Self {
        CliError(msg.into())
    }
}

impl From<ChainError> for CliError {
    fn from(e: ChainError) -> Self {
        CliError(e.to_string())
    }
}

impl From<anchor_lang::error::Error> for CliError {
    fn from(e: anchor_lang::error::Error) -> Self {
        CliError(format!("program math: {e}"))
    }
}
