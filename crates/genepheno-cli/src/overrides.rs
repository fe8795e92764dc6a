//! `--set key=value` for any settings struct (training, pretraining): a leaf, so that every
//! command with settings reads overrides the same way.

use anyhow::Context;

/// Applies `key=value` overrides to any settings struct (value as JSON; dotted keys reach
/// nested fields; a value that is not JSON is taken as a string).
pub fn apply_overrides<T: serde::Serialize + serde::de::DeserializeOwned>(settings: &mut T, overrides: &[String]) -> anyhow::Result<()> {
    let mut value = serde_json::to_value(&*settings)?;
    for o in overrides {
        let (key, raw) = o.split_once('=').with_context(|| format!("--set {o}: expected key=value"))?;
        let parsed: serde_json::Value =
            serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_string()));
        let mut slot = &mut value;
        for part in key.split('.') {
            slot = slot.get_mut(part).with_context(|| format!("--set {o}: no field {key}"))?;
        }
        *slot = parsed;
    }
    *settings = serde_json::from_value(value)?;
    Ok(())
}
