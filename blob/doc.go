// Package blob is where bytes live: a Store lists a page of objects, opens
// one, creates one and deletes one, over a local folder (Local) or, by URI,
// a gs://bucket/prefix. Open picks the implementation from a URI; Join gives
// an object's full name, used in lineage and in warehouse load requests.
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
// in lexical byte order of the whole name, whatever the folders. The token of
// a page is the last name of the page before: objects added behind it never
// appear later, objects added after it do.
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
package blob
