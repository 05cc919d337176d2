package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/config"
	"github.com/clickstream-platform/clickstream/devserver"
)

// certs writes a CA, a server certificate for 127.0.0.1 and a client
// certificate, as PEM files in dir.
type certs struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func makeCerts(t *testing.T, dir string) certs {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		return write(name+".pem", "CERTIFICATE", der), write(name+"-key.pem", "EC PRIVATE KEY", kder)
	}
	c := certs{ca: write("ca.pem", "CERTIFICATE", caDER)}
	c.serverCert, c.serverKey = leaf("server", 2, x509.ExtKeyUsageServerAuth)
	c.clientCert, c.clientKey = leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return c
}

// tlsProxy terminates mutual TLS and forwards the bytes to a plain-text
// Temporal frontend, standing in for a TLS-enabled cluster.
func tlsProxy(t *testing.T, c certs, backend string) string {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(c.serverCert, c.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(c.ca)
	pool.AppendCertsFromPEM(caPEM)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if err := conn.(*tls.Conn).Handshake(); err != nil {
					return
				}
				up, err := net.Dial("tcp", backend)
				if err != nil {
					return
				}
				defer up.Close()
				go io.Copy(up, conn)
				io.Copy(conn, up)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestDialTLS connects through mutual TLS with the configured CA, client
// certificate and key, and fails without the client certificate or with the
// wrong CA.
func TestDialTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal dev server")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	srv, err := devserver.StartOnFreePort(ctx, devserver.Options{UIPort: -1, DBFile: filepath.Join(dir, "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c := makeCerts(t, dir)
	other := makeCerts(t, t.TempDir())
	addr := tlsProxy(t, c, srv.Address())
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	tests := []struct {
		name string
		tls  config.TLS
		ok   bool
	}{
		{"mutual TLS", config.TLS{CAFile: c.ca, CertFile: c.clientCert, KeyFile: c.clientKey}, true},
		{"no client certificate", config.TLS{CAFile: c.ca}, false},
		{"wrong CA", config.TLS{CAFile: other.ca, CertFile: c.clientCert, KeyFile: c.clientKey}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Temporal.Address = addr
			cfg.Temporal.TLS = tt.tls
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cl, err := Dial(ctx, cfg, logger, nil)
			if err == nil {
				_, err = cl.CheckHealth(ctx, &client.CheckHealthRequest{})
				cl.Close()
			}
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want success %v", err, tt.ok)
			}
		})
	}
}

func TestClientOptionsAPIKey(t *testing.T) {
	cfg := config.Default()
	cfg.Temporal.APIKey = "sekret-123"
	opts, err := ClientOptions(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if opts.Credentials == nil || opts.ConnectionOptions.TLS == nil {
		t.Fatalf("an API key must come with credentials and TLS: %+v", opts.ConnectionOptions)
	}
	cfg.Temporal.TLS = config.TLS{CAFile: filepath.Join(t.TempDir(), "missing.pem")}
	if _, err := ClientOptions(cfg, nil); err == nil || !strings.Contains(err.Error(), "temporal.tls.ca_file") {
		t.Fatalf("err = %v, want one naming temporal.tls.ca_file", err)
	}
}
