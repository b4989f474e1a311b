//! The live triage dashboard (being built).

use crate::config::Settings;

pub fn run(_settings: &Settings, _no_color: bool) -> anyhow::Result<()> {
    anyhow::bail!("the dashboard is not built yet; try `copydesk --help`")
}
