// Package blob is where bytes live: a Store lists a page of objects, opens
// one (or one version of one), creates one and deletes one, over a local
// folder (Local) or a gs://bucket/prefix (GCS). An Opener picks the
// implementation from a URI, with the Cloud Storage client it holds (see
// NewGCSClient); Open does the same for local folders only. Join gives an
// object's full name, used in lineage and in warehouse load requests.
//
// # Names
//
// An object's name is a slash path below the store's root. Names that could
// escape the root or mean different things on different systems are refused
// with an error wrapping ErrInvalidName: empty names, absolute names, empty,
// "." or ".." elements ("a//b", "a/./b", "../x"), backslashes and NUL bytes.
//
// # Listing
//
// List pages through the objects whose names start with a prefix, a plain
// string prefix as in GCS ("dt=2024-01-3" matches "dt=2024-01-30/a.jsonl"),
// in lexical byte order of the whole name, whatever the folders. A page's
// token is a string to keep (in workflow state, say) and pass back with the
// same prefix: for Local the last name of the page before, for GCS the
// service's own page token. Objects added behind it never appear later,
// objects added after it do.
//
// # Versions
//
// Every object has a Generation, which changes when it is rewritten.
// OpenGeneration reads the version List saw, or fails with an error wrapping
// ErrChanged, so that a step retried later never reads another content under
// the same name.
//
// # Local folders
//
// Local lists regular files only; symbolic links below the root are not
// followed. An object's Generation is its file's modification time in
// nanoseconds; Create makes sure that the replacing file's time is later than
// the replaced one's, so a rewrite through this package always changes it.
//
// Create writes to a temporary file named .blob-*.tmp in the object's folder,
// syncs it and renames it over the object on Close: readers see the old
// content or the new, never a part. List skips these files and Create refuses
// names like them; a process killed while writing leaves one behind, which
// nothing reads and DeletePrefix does not remove.
//
// Folders are made 0755 and files 0644 (before the umask, for folders).
//
// # Cloud Storage
//
// GCS names objects below its prefix and skips folder placeholders (names
// ending in "/") when listing. It reads objects as stored (an object
// uploaded with Content-Encoding: gzip comes back compressed), pinned to the
// generation of the first response, and resumes a read that breaks off at
// the offset reached; see gcsReader. Create streams in chunks, never holding
// an object whole, with a precondition on the generation it replaces, so
// that retries and concurrent writers never leave a mixed or doubled object.
// Refused access is an error wrapping ErrPermission that names the bucket
// and the role needed: roles/storage.objectViewer to read,
// roles/storage.objectAdmin to write (staging, dead letter).
package blob
