//! `mnist-tui data fetch | verify`.

use super::Context;

/// `data fetch`: download what is missing, verifying checksums.
pub fn fetch(ctx: &Context) -> anyhow::Result<()> {
    let _ = ctx;
    anyhow::bail!("data fetch: not wired yet")
}

/// `data verify`: report what is in the data folder.
pub fn verify(ctx: &Context) -> anyhow::Result<()> {
    let _ = ctx;
    anyhow::bail!("data verify: not wired yet")
}
