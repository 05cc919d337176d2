package blob

import (
	"context"
	"fmt"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"
)

// NewGCSClient returns a Cloud Storage client authenticated with Application
// Default Credentials, or, when STORAGE_EMULATOR_HOST is set (host:port or a
// URL, as fake-gcs-server's), talking to that emulator without credentials.
// opts are for tests: an endpoint, an HTTP client. The caller closes the
// client.
//
// Objects are read through the XML API, the client's default: GCS stores
// read their objects' stored bytes (ReadCompressed), and the JSON API's
// reads refuse that ("custom Accept-Encoding headers not allowed"), so
// storage.WithJSONReads must not be among opts.
func NewGCSClient(ctx context.Context, opts ...option.ClientOption) (*storage.Client, error) {
	c, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the Cloud Storage client (Application Default Credentials; gcloud auth application-default login, or GOOGLE_APPLICATION_CREDENTIALS): %w", err)
	}
	return c, nil
}
