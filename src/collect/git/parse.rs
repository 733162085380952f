//! The image slots of blobs, each distinct blob read once and each distinct YAML document
//! parsed once.
//!
//! Takes blob ids with the path they were met at, and gives each one's [`Parsed`] slots.
//! What a history costs should follow what changed: a release that edits one document of a
//! 1 MB multi-document `install.yaml` must not parse the other hundred again. So a blob is
//! looked up by its id first; a new blob is cut into its documents
//! ([`yaml::split_documents`]) and each document is looked up by a 128-bit hash of its text
//! (with what names its slots: the file kind, and the directory for kustomizations and Helm
//! values); only a document never seen is parsed. A document whose text cannot name an image
//! (no word of a key that can carry one anywhere in it, [`IMAGE_WORDS`]) is checked for
//! syntax only, without building its tree, since a version of the period that does not
//! parse must still be reported. When an image is traced back before the period
//! ([`Check::ImagesOnly`]) such a document is not read at all: no problem is reported about
//! older versions, and it holds no image either way, so a syntax error in it does not end
//! the image's history there.
//!
//! Cutting documents apart changes nothing the file gives: slots keep their file lines, the
//! last document naming an owner still wins, and whatever the cut cannot vouch for is read
//! whole as before: text with a possible YAML anchor (aliases reach across documents' node
//! budgets), a lone carriage return (the parser counts it as a line break, the cut does
//! not), a template (`{{`: a template that does not parse has no slots), and any file one of
//! whose documents does not parse (the whole read gives the error and its line).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use git2::Oid;
use rayon::prelude::*;

use super::Ctx;
use super::images::{self, FileKind, Slot};
use super::objects::Objects;
use crate::base::yaml;

/// A blob's image slots, or why they could not be read.
#[derive(Clone, Debug)]
pub(super) enum Parsed {
    Slots(Arc<Vec<Slot>>),
    /// Read, not YAML: the line and message.
    Invalid(u32, String),
    /// Not text, too large, or unreadable: the message.
    Skipped(String),
}

/// Parsed blobs, keyed by blob id and path, and parsed documents.
#[derive(Default)]
pub(super) struct BlobCache {
    parsed: HashMap<(Oid, String), Parsed>,
    documents: Documents,
}

impl BlobCache {
    /// Parses every blob of `wanted` not yet parsed, on both cores.
    pub(super) fn fill(&mut self, ctx: &Ctx, wanted: Vec<(Oid, String)>, check: Check) {
        let mut todo: Vec<(&str, Oid)> = wanted
            .iter()
            .filter(|(id, path)| !self.parsed.contains_key(&(*id, path.clone())))
            .map(|(id, path)| (path.as_str(), *id))
            .collect();
        if todo.is_empty() {
            return;
        }
        // By path, so that the versions of one file go to the same worker and find the
        // documents they share already parsed.
        todo.sort();
        todo.dedup();
        let chunk = (todo.len() / (rayon::current_num_threads() * 8)).max(16);
        let documents = &self.documents;
        let done: Vec<((Oid, String), Parsed)> = todo
            .par_chunks(chunk)
            .flat_map_iter(|chunk| {
                let repo = ctx.open();
                let mut last = Last::default();
                chunk
                    .iter()
                    .map(|(path, id)| {
                        let parsed = match &repo {
                            Some(repo) => parse_blob(
                                repo,
                                (*id, path),
                                ctx.options.max_blob_bytes,
                                (documents, check),
                                &mut last,
                            ),
                            None => Parsed::Skipped("cannot open the repository".into()),
                        };
                        ((*id, path.to_string()), parsed)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        self.parsed.extend(done);
    }

    pub(super) fn get(&self, id: Oid, path: &str) -> Option<&Parsed> {
        self.parsed.get(&(id, path.to_string()))
    }

    /// The slots of a version already parsed, when it parsed.
    pub(super) fn slots(&self, id: Option<Oid>, path: &str) -> Option<Arc<Vec<Slot>>> {
        match id.and_then(|id| self.get(id, path)) {
            Some(Parsed::Slots(s)) => Some(s.clone()),
            _ => None,
        }
    }
}

/// How much of a version is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Check {
    /// Every document parses, or the version is reported (the period's versions).
    Everything,
    /// Only documents that can name an image are read (tracing an image back).
    ImagesOnly,
}

fn parse_blob(
    repo: &Objects,
    (id, path): (Oid, &str),
    limit: u64,
    (documents, check): (&Documents, Check),
    last: &mut Last,
) -> Parsed {
    match repo.blob(id, limit) {
        Err(e) => Parsed::Skipped(format!("cannot read blob {id}: {}", e.message())),
        Ok(Err(size)) => Parsed::Skipped(format!(
            "blob is {size} bytes, over the {limit}-byte limit; skipped"
        )),
        Ok(Ok(bytes)) => match super::text_of(bytes) {
            Err(why) => Parsed::Skipped(why),
            Ok(text) => match documents.slots(path, &text, check, last) {
                Ok(slots) => Parsed::Slots(Arc::new(slots)),
                Err(e) => Parsed::Invalid(e.line, e.message),
            },
        },
    }
}

/// A document as the cache knows it: what names its slots, its length and two 64-bit
/// hashes of its text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct DocKey {
    context: String,
    check: Check,
    len: usize,
    hash: [u64; 2],
}

impl DocKey {
    fn new(context: &str, check: Check, text: &str) -> DocKey {
        let mut a = DefaultHasher::new();
        text.hash(&mut a);
        let mut b = DefaultHasher::new();
        0x9e37_79b9_7f4a_7c15u64.hash(&mut b);
        text.hash(&mut b);
        DocKey {
            context: context.to_string(),
            check,
            len: text.len(),
            hash: [a.finish(), b.finish()],
        }
    }
}

/// The documents of the last file a worker read, in file order: another version of the
/// same file mostly repeats them at the same places, which a comparison finds faster than a
/// hash.
#[derive(Default)]
struct Last {
    context: String,
    check: Option<Check>,
    documents: Vec<(String, Option<Arc<Vec<Slot>>>)>,
}

/// Documents parsed so far: their slots with lines counted from the document's first line;
/// None for one that does not parse on its own.
struct Documents {
    parsed: Mutex<HashMap<DocKey, Option<Arc<Vec<Slot>>>>>,
    /// The image and version fields of the run's workload-kind table
    /// ([`images::image_fields`]), read once rather than for every document.
    fields: Vec<String>,
}

impl Default for Documents {
    fn default() -> Self {
        Documents {
            parsed: Mutex::default(),
            fields: images::image_fields(),
        }
    }
}

impl Documents {
    /// The image slots of a file, as [`images::slots`] gives them, parsing only documents
    /// not seen before.
    fn slots(
        &self,
        path: &str,
        text: &str,
        check: Check,
        last: &mut Last,
    ) -> Result<Vec<Slot>, images::Unreadable> {
        let Some(kind) = images::file_kind(path) else {
            return Ok(Vec::new());
        };
        if !can_cut(text) {
            return images::slots(path, text);
        }
        let dir = images::parent(path);
        let context = match kind {
            FileKind::Manifest => "manifest".to_string(),
            FileKind::Kustomization => format!("kustomization {dir}"),
            FileKind::HelmValues => format!("values {dir}"),
        };
        let same_file = last.context == context && last.check == Some(check);
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for (i, doc) in yaml::split_documents(text).into_iter().enumerate() {
            let repeated = last
                .documents
                .get(i)
                .filter(|(text, _)| same_file && text == doc.text)
                .map(|(_, found)| found.clone());
            let found = match repeated {
                Some(found) => found,
                None => self.document(&context, check, (kind, &dir), doc.text),
            };
            seen.push((doc.text.to_string(), found.clone()));
            let Some(found) = found else {
                // The whole read says what is wrong, and where.
                return images::slots(path, text);
            };
            let offset = doc.start_line.saturating_sub(1);
            out.extend(found.iter().map(|s| Slot {
                line: s.line + offset,
                ..s.clone()
            }));
        }
        *last = Last {
            context,
            check: Some(check),
            documents: seen,
        };
        Ok(images::last_owner_wins(out))
    }
}

impl Documents {
    /// A document's slots, parsed unless a document of the same text was.
    fn document(
        &self,
        context: &str,
        check: Check,
        (kind, dir): (FileKind, &str),
        text: &str,
    ) -> Option<Arc<Vec<Slot>>> {
        let key = DocKey::new(context, check, text);
        let known = self
            .parsed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(found) = known {
            return found;
        }
        let found = parse_document((kind, dir), text, check, &self.fields);
        self.parsed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, found.clone());
        found
    }
}

/// One document's slots, lines counted from its first line; None when it does not parse.
fn parse_document(
    (kind, dir): (FileKind, &str),
    text: &str,
    check: Check,
    fields: &[String],
) -> Option<Arc<Vec<Slot>>> {
    if !may_name_an_image(text, fields) {
        let valid = check == Check::ImagesOnly || yaml::tree::is_valid(text);
        return valid.then(|| Arc::new(Vec::new()));
    }
    let docs = yaml::tree::parse(text).ok()?;
    let mut out = Vec::new();
    for doc in &docs {
        images::document(kind, dir, doc, &mut out);
    }
    Some(Arc::new(out))
}

/// Words of the keys that can carry an image, kept conservative: every slot shape read
/// today has a key holding `image` or `Image` (`image`, `images`, `initImage`...), and the
/// shapes that name an image by its parts (`repository`/`tag`/`registry`, kustomize's
/// `newName`/`newTag`/`digest`, an operator's `version`) are covered too, so that a slot
/// shape added later is not skipped. A backslash could spell any of them in a quoted key.
const IMAGE_WORDS: [&str; 11] = [
    "mage",
    "repository",
    "registry",
    "digest",
    "newName",
    "newTag",
    "tag:",
    "tag\"",
    "version:",
    "version\"",
    "\\",
];

/// Whether a document can name an image: when in doubt, it can. Rows the config adds to the
/// workload-kind table may read other fields: the last field of each image and version
/// pointer counts too (`fields`, [`images::image_fields`]), as a key (followed by `:` or `"`).
fn may_name_an_image(text: &str, fields: &[String]) -> bool {
    IMAGE_WORDS.iter().any(|w| text.contains(w))
        || fields.iter().any(|f| {
            text.match_indices(f.as_str())
                .any(|(i, _)| matches!(text.as_bytes().get(i + f.len()), Some(b':' | b'"')))
        })
}

/// Whether documents can be parsed one by one with the result of parsing the whole: no
/// anchor (an `&` that starts a token), no lone carriage return, no template.
fn can_cut(text: &str) -> bool {
    if text.contains("{{") {
        return false;
    }
    let b = text.as_bytes();
    for i in memchr::memchr2_iter(b'&', b'\r', b) {
        match b[i] {
            b'\r' if b.get(i + 1) != Some(&b'\n') => return false,
            b'&' if i == 0
                || matches!(
                    b[i - 1],
                    b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b'-' | b':' | b'!'
                ) =>
            {
                return false;
            }
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(name: &str, image: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: {image}\n"
        )
    }

    #[test]
    fn documents_cut_apart_give_what_the_whole_file_gives() {
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: x}\nspec: {group: example.com}\n";
        let texts = [
            format!(
                "{}---\n{crd}---\n{}",
                deployment("a", "r/a:1"),
                deployment("b", "r/b:1")
            ),
            format!(
                "# c\n---\n{}---\n{crd}...\n{}",
                deployment("a", "r/a:2"),
                deployment("a", "r/a:3")
            ),
            format!("{}---\n{crd}", deployment("b", "r/b:1")),
        ];
        let documents = Documents::default();
        for text in &texts {
            for _ in 0..2 {
                assert_eq!(
                    documents.slots(
                        "deploy/install.yaml",
                        text,
                        Check::Everything,
                        &mut Last::default()
                    ),
                    images::slots("deploy/install.yaml", text),
                    "{text}"
                );
            }
        }
        // Seven distinct documents (a document's text includes its `---` line; a comment
        // before the first `---` is none): the definition shared by the first and the last
        // file was parsed once.
        assert_eq!(documents.parsed.lock().unwrap().len(), 7);
        // Another version repeating documents at the same places takes them from the last.
        let mut last = Last::default();
        let before = documents.parsed.lock().unwrap().len();
        let text = format!(
            "{}---
{crd}",
            deployment("c", "r/c:1")
        );
        assert_eq!(
            documents.slots("x.yaml", &texts[2], Check::Everything, &mut last),
            images::slots("x.yaml", &texts[2])
        );
        assert_eq!(
            documents.slots("x.yaml", &text, Check::Everything, &mut last),
            images::slots("x.yaml", &text)
        );
        assert_eq!(documents.parsed.lock().unwrap().len(), before + 1);
    }

    #[test]
    fn a_broken_document_anchors_and_templates_are_read_whole() {
        let documents = Documents::default();
        for text in [
            "kind: Deployment\n---\nimage: [\n",
            "a: &x 1\n---\nb: *x\n",
            "kind: A\n---\nb: *x\n",
            "image: {{ .Values.image }}\n---\nx: [\n",
            "a: 1\rb: 2\n---\nkind: B\n",
            "---\nkind: ConfigMap\ndata: {a: [\n",
        ] {
            assert_eq!(
                documents.slots("a.yaml", text, Check::Everything, &mut Last::default()),
                images::slots("a.yaml", text),
                "{text:?}"
            );
        }
        assert!(!can_cut("a: &x 1\n"));
        let fields = images::image_fields();
        assert!(!may_name_an_image(
            "kind: CustomResourceDefinition\nspec: {versions: [{name: v1}]}\n",
            &fields
        ));
        for text in [
            "image: x",
            "redis: {repository: r, tag: \"7\"}",
            "spec: {version: v2.45.0}",
            "\"tag\": \"1\"",
        ] {
            assert!(may_name_an_image(text, &fields), "{text}");
        }
        assert!(can_cut("url: https://x?a=1&b=2\n"));
    }

    #[test]
    fn tracing_back_does_not_read_documents_that_name_no_image() {
        let documents = Documents::default();
        let text = format!(
            "{}---\nkind: ConfigMap\ndata: {{a: [\n",
            deployment("a", "r/a:1")
        );
        // The period's versions: the broken document makes the version unreadable.
        assert!(
            documents
                .slots("x.yaml", &text, Check::Everything, &mut Last::default())
                .is_err()
        );
        // Tracing back: the image is still there.
        let slots = documents
            .slots("x.yaml", &text, Check::ImagesOnly, &mut Last::default())
            .unwrap();
        assert_eq!(slots[0].image, "r/a:1");
    }

    #[test]
    fn kustomizations_and_values_are_keyed_by_their_directory() {
        let documents = Documents::default();
        let k = "images:\n  - name: nginx\n    newTag: \"1\"\n";
        let a = documents
            .slots(
                "a/kustomization.yaml",
                k,
                Check::Everything,
                &mut Last::default(),
            )
            .unwrap();
        let b = documents
            .slots(
                "b/kustomization.yaml",
                k,
                Check::Everything,
                &mut Last::default(),
            )
            .unwrap();
        assert_ne!(a[0].owner, b[0].owner);
        assert_eq!(Ok(b), images::slots("b/kustomization.yaml", k));
    }
}
