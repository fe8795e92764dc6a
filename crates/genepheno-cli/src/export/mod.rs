//! `genepheno export`: post-training quantization of a trained model (8-bit symmetric weights of
//! the dense layers, burn's Q8S) into burnpack bytes, plus the metadata JSON with the weights'
//! SHA-256 the app checks before decoding. Files go to `public/models/{dataset}.bpk|.json`.

use std::path::{Path, PathBuf};

use genepheno::domain::LabelSet;
use genepheno::model::burn::prelude::Device;
use genepheno::model::metadata::sha256_hex;
use genepheno::model::{ModelMetadata, store};

use crate::artifacts::{PUBLIC_MODELS, Variant, model_dir, read_trained};

/// `genepheno export`
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Label set.
    #[arg(long, value_parser = crate::args::label_set())]
    pub dataset: LabelSet,
    /// Where `genepheno train` wrote its models.
    #[arg(long, default_value = "target/models")]
    pub models: PathBuf,
    /// Output directory.
    #[arg(long, default_value = PUBLIC_MODELS)]
    pub out: PathBuf,
}

pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let dir = model_dir(&args.models, args.dataset, Variant::Full);
    export(&dir, &args.out).map(|_| ())
}

/// Quantizes the trained model in `dir` and writes `{dataset}.bpk` and `{dataset}.json` to `out`.
/// Returns the metadata written.
pub fn export(dir: &Path, out: &Path) -> anyhow::Result<ModelMetadata> {
    let (meta, bytes) = read_trained(dir)?;
    let device = Device::flex();
    let model = store::load_checked(&meta, bytes, &device)?;
    let quantized = store::quantize(model);
    let bytes = store::to_bytes(&quantized)?;
    // Decode what is about to ship, so a file that does not fit the architecture never leaves.
    let mut shipped = meta.clone();
    shipped.weights_sha256 = sha256_hex(&bytes);
    shipped.weights_file = format!("{}.bpk", meta.dataset);
    shipped.quantization = store::QUANTIZATION_NAME.into();
    store::load_checked(&shipped, bytes.clone(), &device)?;
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join(&shipped.weights_file), &bytes)?;
    // Compact JSON: it ships to every browser.
    std::fs::write(out.join(format!("{}.json", meta.dataset)), serde_json::to_vec(&shipped)?)?;
    eprintln!(
        "exported {} ({} bytes, sha256 {}) to {}",
        shipped.weights_file,
        bytes.len(),
        shipped.weights_sha256,
        out.display()
    );
    Ok(shipped)
}
