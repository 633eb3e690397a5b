//! `mnist-tui predict IMAGE...`.

use super::Context;
use crate::cli::PredictArgs;

/// Predicts each image; a bad file gets its own error and a non-zero exit at the end.
pub fn run(ctx: &Context, args: &PredictArgs) -> anyhow::Result<()> {
    let _ = (ctx, args);
    anyhow::bail!("predict: not wired yet")
}
