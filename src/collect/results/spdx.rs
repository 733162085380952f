//! SPDX JSON (2.2, 2.3): an SBOM (`trivy image -f spdx-json`, `syft -o spdx-json`).
//!
//! SPDX 2.x has no vulnerability section; some tools list advisories as package external
//! references (`referenceCategory: SECURITY`, `referenceType: advisory`, the locator a URL
//! naming the id). Read: `creationInfo.created` (the time), `creationInfo.creators` (the
//! `Tool: name-version` entry), `name`, `packages[]` (`name`, `versionInfo`,
//! `primaryPackagePurpose`, `externalRefs[]`); the image is the package whose purpose is
//! `CONTAINER` or whose purl is `pkg:oci/...`. A document without advisories is an SBOM
//! record with zero findings, and says it cannot tell a clean image from an unscanned one.

use serde::Deserialize;

use super::fields::{Purl, Severity, Text, vulnerability_id};
use super::{
    FileProblem, ImageSubject, RecordKind, ResultRecord, Shape, Subject, Tool, Vulnerability,
};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Document {
    spdx_version: Text,
    name: Text,
    creation_info: CreationInfo,
    packages: Option<Vec<Package>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreationInfo {
    created: Text,
    creators: Option<Vec<Text>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Package {
    name: Text,
    version_info: Text,
    primary_package_purpose: Text,
    external_refs: Option<Vec<ExternalRef>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ExternalRef {
    reference_category: Text,
    reference_type: Text,
    reference_locator: Text,
}

pub(super) fn read(text: &str) -> Result<Vec<ResultRecord>, FileProblem> {
    let doc: Document = super::typed(text, Shape::SpdxJson)?;
    let tool = tool(doc.creation_info.creators.as_deref().unwrap_or_default());
    let packages = doc.packages.unwrap_or_default();
    let mut vulnerabilities = Vec::new();
    let mut image = ImageSubject::default();
    for p in &packages {
        let refs = p.external_refs.as_deref().unwrap_or_default();
        let oci = refs
            .iter()
            .filter(|r| r.reference_type.get() == Some("purl"))
            .filter_map(|r| Purl::parse(r.reference_locator.get()?)?.oci_image())
            .next();
        let is_container = p
            .primary_package_purpose
            .get()
            .is_some_and(|purpose| purpose.eq_ignore_ascii_case("CONTAINER"));
        if let Some((reference, digest)) = oci {
            image.add_reference(&reference);
            if let Some(d) = digest {
                image.add_digest(&d);
            }
        }
        if is_container && let Some(n) = p.name.get() {
            image.add_reference(n);
        }
        for r in refs {
            let security = r
                .reference_category
                .get()
                .is_some_and(|c| c.eq_ignore_ascii_case("SECURITY"));
            if !security || r.reference_type.get() != Some("advisory") {
                continue;
            }
            let Some(locator) = r.reference_locator.get() else {
                continue;
            };
            vulnerabilities.push(Vulnerability {
                id: vulnerability_id(locator).unwrap_or(locator).to_string(),
                package: p.name.get().map(str::to_string),
                installed_version: p.version_info.get().map(str::to_string),
                severity: Severity::Unknown,
                ..Vulnerability::default()
            });
        }
    }
    let kind = if vulnerabilities.is_empty() {
        RecordKind::Sbom
    } else {
        RecordKind::VulnerabilityScan
    };
    let mut record = ResultRecord::new(Shape::SpdxJson, kind, tool);
    record.set_time("creationInfo.created", doc.creation_info.created.get());
    if let Some(v) = doc.spdx_version.get()
        && !matches!(v, "SPDX-2.2" | "SPDX-2.3")
    {
        record
            .notes
            .push(format!("{v}: read as SPDX 2.3, which this reader knows"));
    }
    record.packages = Some(packages.len());
    record.notes.push(if kind == RecordKind::Sbom {
        format!(
            "an SBOM of {} packages without vulnerability data (SPDX 2 has no vulnerability \
             section): it shows what the image holds, not that it was scanned",
            packages.len()
        )
    } else {
        "vulnerabilities read from SECURITY advisory references: SPDX 2 gives no severity or \
         fixed version, and cannot say that nothing else was found"
            .into()
    });
    record.subject = if !image.is_empty() {
        Subject::Image(image)
    } else {
        match doc.name.get() {
            Some(name) => Subject::Path {
                path: name.to_string(),
            },
            None => Subject::Unknown,
        }
    };
    record.vulnerabilities = vulnerabilities;
    Ok(vec![record])
}

/// The `Tool: name-version` creator (`Tool: trivy-0.50.1`).
fn tool(creators: &[Text]) -> Tool {
    let entry = creators
        .iter()
        .filter_map(Text::get)
        .find_map(|c| c.strip_prefix("Tool:").map(str::trim));
    let Some(entry) = entry else {
        return Tool {
            name: "unnamed SPDX tool".into(),
            version: None,
        };
    };
    match entry.rsplit_once('-') {
        Some((name, version))
            if version
                .trim_start_matches('v')
                .starts_with(|c: char| c.is_ascii_digit()) =>
        {
            Tool {
                name: name.to_string(),
                version: Some(version.to_string()),
            }
        }
        _ => Tool {
            name: entry.to_string(),
            version: None,
        },
    }
}
