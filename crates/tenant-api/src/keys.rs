//! The key ring: configured keys, or development keys generated once under the data directory.

use crate::settings::{parse_key_list, Settings};
use std::io::Write;
use std::path::PathBuf;
use store::encryption::{generate_key, Keyring};

/// The file development keys live in.
pub fn dev_key_path(settings: &Settings) -> PathBuf {
    settings.data.dir.join("dev-keys.toml")
}

#[derive(serde::Serialize, serde::Deserialize)]
struct DevKeys {
    keys: String,
    current_key: String,
    index_key: String,
}

/// The configured key ring, or the development one (created on first use, readable by its owner only).
///
/// Returns the ring and whether it is the development one, so start-up can warn.
pub fn load(settings: &Settings) -> Result<(Keyring, bool), String> {
    if settings.encryption.keys.is_some() || settings.encryption.index_key.is_some() {
        return settings
            .configured_keyring()
            .map(|k| (k, false))
            .map_err(|e| format!("encryption.keys: {e}"));
    }
    let path = dev_key_path(settings);
    let dev: DevKeys = match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|e| format!("{}: not a key file custodian wrote ({e})", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let dev = DevKeys {
                keys: format!("dev1:{}", generate_key()),
                current_key: "dev1".into(),
                index_key: generate_key(),
            };
            write_private(&path, &toml::to_string(&dev).map_err(|e| e.to_string())?)
                .map_err(|e| format!("cannot write development keys to {}: {e}", path.display()))?;
            dev
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let pairs = parse_key_list(&dev.keys)?;
    let ring = Keyring::new(&pairs, &dev.current_key, &dev.index_key)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((ring, true))
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_keys_are_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::default();
        s.data.dir = dir.path().to_owned();
        let (a, dev) = load(&s).unwrap();
        assert!(dev);
        let (b, _) = load(&s).unwrap();
        let sealed = a.encrypt(store::LibraryId(1), "name", "x").unwrap();
        assert_eq!(
            b.decrypt(store::LibraryId(1), "name", &sealed).unwrap(),
            "x"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dev_key_path(&s))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn configured_keys_are_checked_and_named() {
        let mut s = Settings::default();
        s.encryption.keys = Some("k1:not-base64".into());
        s.encryption.current_key = Some("k1".into());
        s.encryption.index_key = Some(generate_key().as_str().into());
        assert!(load(&s).unwrap_err().contains("encryption.keys"));
        let k = generate_key();
        s.encryption.keys = Some(format!("k1:{k}").as_str().into());
        assert!(!load(&s).unwrap().1);
    }
}
