//! `mnist-tui export RUN… --to FORMAT [--out PATH]`.

use super::Context;
use crate::cli::ExportArgs;
use crate::interop::export_format;
use std::fmt::Write as _;

/// Exports the runs in the format asked for and prints the files written.
pub fn run(ctx: &Context, args: &ExportArgs) -> anyhow::Result<()> {
    let format = export_format(&args.to).map_err(anyhow::Error::msg)?;
    let mut records = Vec::with_capacity(args.runs.len());
    for typed in &args.runs {
        let id = ctx.store.resolve_id(typed)?;
        records.push(ctx.store.load(&id)?);
    }
    let refs: Vec<_> = records.iter().collect();
    let out = args.out.clone().unwrap_or_else(|| {
        format.default_out(&records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
    });
    let files = format.write(&ctx.store, &refs, &out)?;
    let mut o = String::new();
    for f in &files {
        writeln!(o, "wrote {}", f.display())?;
    }
    super::out::write(&o).map(|_| ())
}
