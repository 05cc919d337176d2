package config

import (
	"bufio"
	"go/parser"
	"go/token"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// docker-compose.yml cannot run here (no Docker engine), so these tests
// read it, and the Dockerfile, and check them against the configuration:
// the services and ports the README promises, that every CLICKSTREAM_*
// variable is a key and its value loads, and that the addresses and buckets
// the worker is given are the ones the other services provide.

const (
	composePath    = "../docker-compose.yml"
	dockerfilePath = "../Dockerfile"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Configs  map[string]struct {
		Content string `yaml:"content"`
	} `yaml:"configs"`
	Volumes map[string]any `yaml:"volumes"`
	// dir is the absolute path of the folder of the file, which relative
	// bind mounts (./folder:/target) start from.
	dir string
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       *composeBuild     `yaml:"build"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Profiles    []string `yaml:"profiles"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Configs []struct {
		Source string `yaml:"source"`
		Target string `yaml:"target"`
	} `yaml:"configs"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

// loadCompose parses docker-compose.yml (anchors and merge keys resolved).
func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile(composePath)
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", composePath, err)
	}
	if f.dir, err = filepath.Abs(filepath.Dir(composePath)); err != nil {
		t.Fatal(err)
	}
	return f
}

// service returns the named service, failing the test when there is none.
func (f composeFile) service(t *testing.T, name string) composeService {
	t.Helper()
	s, ok := f.Services[name]
	if !ok {
		t.Fatalf("%s has no service %q", composePath, name)
	}
	return s
}

// ports maps the published (host) ports of s to their container ports.
func (s composeService) ports(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, p := range s.Ports {
		parts := strings.Split(strings.TrimSuffix(p, "/tcp"), ":")
		if len(parts) < 2 || len(parts) > 3 {
			t.Errorf("port %q: want [ip:]published:target", p)
			continue
		}
		m[parts[len(parts)-2]] = parts[len(parts)-1]
	}
	return m
}

// containerPorts are the ports of s that are published.
func (s composeService) containerPorts(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, c := range s.ports(t) {
		out = append(out, c)
	}
	return out
}

// mount returns the named volume mounted at or above target in s, and where
// it is mounted; "" when none is.
func (s composeService) mount(target string) (volume, at string) {
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			continue
		}
		if parts[1] == target || strings.HasPrefix(target, strings.TrimSuffix(parts[1], "/")+"/") {
			return parts[0], parts[1]
		}
	}
	return "", ""
}

// hostPath is the file or folder of the repository that service name
// sees at target through a bind mount (./folder:/target).
func (f composeFile) hostPath(t *testing.T, name, target string) string {
	t.Helper()
	s := f.service(t, name)
	source, at := s.mount(target)
	if !strings.HasPrefix(source, "./") {
		t.Fatalf("%s: %s is on no folder of the repository (volumes %q)", name, target, s.Volumes)
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(target, at), "/")
	return filepath.Join(f.dir, filepath.FromSlash(source), filepath.FromSlash(rel))
}

// script returns the shell script that service name runs (entrypoint
// /bin/sh, the script as command), read from the repository.
func (f composeFile) script(t *testing.T, name string) string {
	t.Helper()
	s := f.service(t, name)
	run := append(slices.Clone(s.Entrypoint), s.Command...)
	if len(run) != 2 || run[0] != "/bin/sh" {
		t.Fatalf("%s runs %q, want /bin/sh and a script", name, run)
	}
	data, err := os.ReadFile(f.hostPath(t, name, run[1]))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(data)
}

// flag returns the value of a command-line flag in args, written
// "-name value", "--name value" or "-name=value"; "" when absent.
func flag(args []string, name string) string {
	for i, a := range args {
		for _, prefix := range []string{"-" + name, "--" + name} {
			if a == prefix && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, prefix+"="); ok {
				return v
			}
		}
	}
	return ""
}

// loadServiceConfig loads the configuration a service's environment gives,
// with no configuration file, as its container would (no clickstream.yaml
// in its working directory).
func loadServiceConfig(t *testing.T, s composeService) Config {
	t.Helper()
	env := []string{}
	for name, value := range s.Environment {
		env = append(env, name+"="+value)
	}
	slices.Sort(env)
	t.Chdir(t.TempDir())
	cfg, err := Load(LoadOptions{Environ: env})
	if err != nil {
		t.Fatalf("its environment does not load: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("its configuration does not validate: %v", err)
	}
	return cfg
}

// splitGS splits gs://bucket/prefix.
func splitGS(t *testing.T, uri string) (bucket, prefix string) {
	t.Helper()
	rest, ok := strings.CutPrefix(uri, "gs://")
	if !ok {
		t.Fatalf("%q: want gs://bucket/prefix", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, strings.Trim(prefix, "/")
}

// The services and published ports the README promises.
func TestComposeServicesAndPorts(t *testing.T) {
	f := loadCompose(t)
	tests := []struct {
		service string
		ports   map[string]string // published → container
	}{
		{service: "postgresql"},
		{service: "temporal-schema"},
		{service: "temporal", ports: map[string]string{"7233": "7233"}},
		{service: "temporal-namespace"},
		{service: "temporal-ui", ports: map[string]string{"8080": "8080"}},
		{service: "fake-gcs", ports: map[string]string{"4443": "4443"}},
		{service: "seed"},
		{service: "worker", ports: map[string]string{"9464": "9464"}},
		{service: "starter"},
		{service: "prometheus", ports: map[string]string{"9090": "9090"}},
		{service: "grafana", ports: map[string]string{"3000": "3000"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := f.service(t, tt.service)
			got := s.ports(t)
			for published, container := range tt.ports {
				if got[published] != container {
					t.Errorf("port %s: published to %q, want %s (ports %q)", published, got[published], container, s.Ports)
				}
			}
		})
	}
	// The starter runs on demand (docker compose run), not with `up`.
	if p := f.service(t, "starter").Profiles; len(p) == 0 {
		t.Error("starter has no profile: `docker compose up` would run its default command")
	}
}

// Every image pulled is pinned to a release, so that a `docker compose pull`
// next month runs what this file was written for: a tag that is a version
// number, never latest or none.
func TestComposeImagesArePinned(t *testing.T) {
	f := loadCompose(t)
	version := regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)*(-[0-9A-Za-z.-]+)?$`)
	for name, s := range f.Services {
		if s.Build != nil {
			continue // built from this repository
		}
		i := strings.LastIndex(s.Image, ":")
		if i < 0 || strings.Contains(s.Image[i:], "/") || !version.MatchString(s.Image[i+1:]) {
			t.Errorf("service %s: image %q is not pinned to a version tag", name, s.Image)
		}
	}
}

// Every named volume a service mounts is declared; bind mounts
// (./folder) are folders of the repository that exist.
func TestComposeVolumesExist(t *testing.T) {
	f := loadCompose(t)
	for name, s := range f.Services {
		for _, v := range s.Volumes {
			source, target, _ := strings.Cut(v, ":")
			target, _, _ = strings.Cut(target, ":")
			if !strings.HasPrefix(source, ".") && !strings.HasPrefix(source, "/") {
				if _, ok := f.Volumes[source]; !ok {
					t.Errorf("service %s mounts volume %q, which is not declared under volumes:", name, source)
				}
				continue
			}
			if _, err := os.Stat(f.hostPath(t, name, target)); err != nil {
				t.Errorf("service %s: %v", name, err)
			}
		}
	}
}

// Every CLICKSTREAM_* variable of every service is a declared key.
func TestComposeEnvironmentKeysAreConfigKeys(t *testing.T) {
	f := loadCompose(t)
	byEnv := map[string]string{}
	for _, k := range keys {
		byEnv[envName(k.Name)] = k.Name
	}
	seen := 0
	for name, s := range f.Services {
		for env, value := range s.Environment {
			if !strings.HasPrefix(env, envPrefix) {
				continue
			}
			seen++
			if value == "" {
				t.Errorf("service %s: %s is empty, which Load takes for unset: give a value or drop it", name, env)
			}
			if _, ok := byEnv[env]; !ok {
				hint := ""
				key := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, envPrefix)), "_", ".")
				if k := closestKey(key); k != "" {
					hint = "; did you mean " + envName(k) + "?"
				}
				t.Errorf("service %s: %s is no configuration key (config/keys.go)%s", name, env, hint)
			}
		}
	}
	if seen < 10 {
		t.Errorf("found %d CLICKSTREAM_* variables in all services, want the worker's and the starter's", seen)
	}
	// The worker serves metrics on the port it publishes, on every
	// interface: 127.0.0.1 inside a container is not reachable from outside.
	worker := f.service(t, "worker")
	metrics, ok := worker.Environment[envName("metrics.address")]
	if !ok {
		t.Fatalf("worker has no %s", envName("metrics.address"))
	}
	host, port, err := net.SplitHostPort(metrics)
	if err != nil {
		t.Fatalf("%s=%q: %v", envName("metrics.address"), metrics, err)
	}
	if host != "" && host != "0.0.0.0" && host != "::" {
		t.Errorf("%s=%q listens on %s only: the published port would reach nothing", envName("metrics.address"), metrics, host)
	}
	if !slices.Contains(worker.containerPorts(t), port) {
		t.Errorf("%s=%q: port %s is not published (ports %q)", envName("metrics.address"), metrics, port, worker.Ports)
	}
}

// The worker's and the starter's environments load and validate with the
// config loader, and give the same run configuration.
func TestComposeEnvironmentLoads(t *testing.T) {
	f := loadCompose(t)
	var worker, starter Config
	t.Run("worker", func(t *testing.T) { worker = loadServiceConfig(t, f.service(t, "worker")) })
	t.Run("starter", func(t *testing.T) { starter = loadServiceConfig(t, f.service(t, "starter")) })
	if t.Failed() {
		return
	}
	if worker.Warehouse.Kind != "duckdb" {
		t.Errorf("worker warehouse.kind = %q, want duckdb", worker.Warehouse.Kind)
	}
	// The starter starts runs where the worker polls, and reads its warehouse.
	if worker.Temporal != starter.Temporal || worker.Source != starter.Source || worker.Pipeline != starter.Pipeline ||
		worker.Warehouse != starter.Warehouse {
		t.Errorf("starter and worker disagree:\n worker  %+v %+v %+v\n starter %+v %+v %+v",
			worker.Temporal, worker.Source, worker.Warehouse, starter.Temporal, starter.Source, starter.Warehouse)
	}
	// The DuckDB file is on a named volume, the same in both, so it outlives
	// the containers and `starter query` sees the worker's tables.
	dir := path.Dir(worker.Warehouse.DuckDB.Path)
	wv, _ := f.service(t, "worker").mount(dir)
	sv, _ := f.service(t, "starter").mount(dir)
	if wv == "" || strings.HasPrefix(wv, ".") || strings.HasPrefix(wv, "/") {
		t.Errorf("worker: no named volume holds %s (volumes %q)", worker.Warehouse.DuckDB.Path, f.service(t, "worker").Volumes)
	}
	if _, declared := f.Volumes[wv]; wv != "" && !declared {
		t.Errorf("volume %q is not declared under volumes:", wv)
	}
	if sv != wv {
		t.Errorf("starter mounts %q at %s, the worker %q", sv, dir, wv)
	}
}

// The worker reaches Temporal and fake-gcs-server by their service names and
// ports, and those services are set up to answer it.
func TestComposeWorkerReachesServices(t *testing.T) {
	f := loadCompose(t)
	w := f.service(t, "worker")
	cfg := loadServiceConfig(t, w)

	t.Run("temporal", func(t *testing.T) {
		host, port, err := net.SplitHostPort(cfg.Temporal.Address)
		if err != nil {
			t.Fatal(err)
		}
		if host != "temporal" {
			t.Errorf("temporal.address %q: host is not the temporal service", cfg.Temporal.Address)
		}
		temporal := f.service(t, host)
		if !slices.Contains(temporal.containerPorts(t), port) {
			t.Errorf("temporal.address %q: the temporal service publishes %q", cfg.Temporal.Address, temporal.Ports)
		}
		if got := f.service(t, "temporal-ui").Environment["TEMPORAL_ADDRESS"]; got != cfg.Temporal.Address {
			t.Errorf("temporal-ui TEMPORAL_ADDRESS = %q, want the worker's %q", got, cfg.Temporal.Address)
		}
		if !strings.HasPrefix(temporal.Image, "temporalio/server:") {
			t.Errorf("temporal image = %q, want temporalio/server (auto-setup is no longer built)", temporal.Image)
		}
		// What the worker waits for: the schemas, then the server, then the
		// namespace.
		for _, d := range []struct{ service, on, condition string }{
			{"temporal-schema", "postgresql", "service_healthy"},
			{"temporal", "temporal-schema", "service_completed_successfully"},
			{"temporal-namespace", "temporal", "service_healthy"},
			{"worker", "temporal", "service_healthy"},
			{"worker", "temporal-namespace", "service_completed_successfully"},
			{"temporal-ui", "temporal", "service_healthy"},
		} {
			if c := f.service(t, d.service).DependsOn[d.on].Condition; c != d.condition {
				t.Errorf("%s depends on %s with condition %q, want %s", d.service, d.on, c, d.condition)
			}
		}
		if temporal.Healthcheck == nil {
			t.Error("temporal has no healthcheck: service_healthy would never hold")
		}
		// The one-shot services run the admin-tools image of the server's
		// release: its schema files are the ones that server expects.
		release := strings.TrimPrefix(temporal.Image, "temporalio/server:")
		schema := f.service(t, "temporal-schema")
		namespace := f.service(t, "temporal-namespace")
		for name, s := range map[string]composeService{"temporal-schema": schema, "temporal-namespace": namespace} {
			if want := "temporalio/admin-tools:" + release; s.Image != want {
				t.Errorf("%s image = %q, want %s, the server's release", name, s.Image, want)
			}
		}
		if seeds := temporal.Environment["POSTGRES_SEEDS"]; seeds != "postgresql" {
			t.Errorf("temporal POSTGRES_SEEDS = %q, want the postgresql service", seeds)
		}
		// The schemas are set up in the database the server uses.
		for schemaKey, serverKey := range map[string]string{"POSTGRES_SEEDS": "POSTGRES_SEEDS", "DB_PORT": "DB_PORT",
			"POSTGRES_USER": "POSTGRES_USER", "SQL_PASSWORD": "POSTGRES_PWD"} {
			if got, want := schema.Environment[schemaKey], temporal.Environment[serverKey]; got != want || got == "" {
				t.Errorf("temporal-schema %s = %q, the server's %s %q", schemaKey, got, serverKey, want)
			}
		}
		text := f.script(t, "temporal-schema")
		for _, want := range []string{"setup-schema", "update-schema", "setup temporal temporal", "setup temporal_visibility visibility"} {
			if !strings.Contains(text, want) {
				t.Errorf("temporal-schema's script does not say %q", want)
			}
		}
		// The namespace registered is the worker's, on the worker's server.
		if got := namespace.Environment["DEFAULT_NAMESPACE"]; got != cfg.Temporal.Namespace {
			t.Errorf("temporal-namespace DEFAULT_NAMESPACE = %q, want the worker's namespace %q", got, cfg.Temporal.Namespace)
		}
		if got := namespace.Environment["TEMPORAL_ADDRESS"]; got != cfg.Temporal.Address {
			t.Errorf("temporal-namespace TEMPORAL_ADDRESS = %q, want the worker's %q", got, cfg.Temporal.Address)
		}
		if text := f.script(t, "temporal-namespace"); !strings.Contains(text, `namespace create --namespace "$DEFAULT_NAMESPACE"`) {
			t.Error("temporal-namespace's script does not create $DEFAULT_NAMESPACE")
		}
		pg := f.service(t, "postgresql")
		if v, _ := pg.mount("/var/lib/postgresql/data"); v == "" || pg.Healthcheck == nil {
			t.Errorf("postgresql: want a volume on /var/lib/postgresql/data and a healthcheck, got volumes %q", pg.Volumes)
		}
		// The dynamic configuration file the server is told to read is mounted.
		dyn := temporal.Environment["DYNAMIC_CONFIG_FILE_PATH"]
		found := false
		for _, c := range temporal.Configs {
			if dyn == "" || c.Target != path.Join("/etc/temporal", dyn) {
				continue
			}
			found = true
			var values map[string][]map[string]any
			if err := yaml.Unmarshal([]byte(f.Configs[c.Source].Content), &values); err != nil || len(values) == 0 {
				t.Errorf("config %s: want dynamic config values (key: [{value: ...}]), got %v", c.Source, err)
			}
		}
		if !found {
			t.Errorf("temporal DYNAMIC_CONFIG_FILE_PATH %q is not a config mounted under /etc/temporal", dyn)
		}
	})

	t.Run("fake-gcs", func(t *testing.T) {
		emulator := w.Environment["STORAGE_EMULATOR_HOST"]
		host, port, err := net.SplitHostPort(emulator)
		if err != nil {
			t.Fatalf("STORAGE_EMULATOR_HOST %q: want host:port: %v", emulator, err)
		}
		if host != "fake-gcs" {
			t.Errorf("STORAGE_EMULATOR_HOST %q: host is not the fake-gcs service", emulator)
		}
		gcs := f.service(t, host)
		if !strings.HasPrefix(gcs.Image, "fsouza/fake-gcs-server:") {
			t.Errorf("fake-gcs image = %q", gcs.Image)
		}
		args := append(slices.Clone(gcs.Entrypoint), gcs.Command...)
		if got := flag(args, "port"); got != port {
			t.Errorf("fake-gcs listens on -port %q, STORAGE_EMULATOR_HOST says %s", got, port)
		}
		if !slices.Contains(gcs.containerPorts(t), port) {
			t.Errorf("fake-gcs: port %s is not published (ports %q)", port, gcs.Ports)
		}
		// A host:port emulator is spoken to over http.
		if got := flag(args, "scheme"); got != "http" {
			t.Errorf("fake-gcs -scheme %q, want http", got)
		}
		// Reads use GET host/bucket/object, routed only for the public host
		// (blob/gcs_helpers_test.go); resumable uploads go to the external URL.
		if got := flag(args, "public-host"); got != host && got != emulator {
			t.Errorf("fake-gcs -public-host %q, want %q: the worker's reads would get 404", got, host)
		}
		if got := flag(args, "external-url"); got != "http://"+emulator {
			t.Errorf("fake-gcs -external-url %q, want http://%s", got, emulator)
		}
		if _, ok := w.DependsOn["fake-gcs"]; !ok {
			t.Error("worker does not depend on fake-gcs")
		}
	})
}

// The bucket the worker reads, stages and dead-letters to is the one the
// seed service writes into fake-gcs-server's data folder.
func TestComposeSeedsTheWorkersBucket(t *testing.T) {
	f := loadCompose(t)
	seed := f.service(t, "seed")
	gcs := f.service(t, "fake-gcs")
	cfg := loadServiceConfig(t, f.service(t, "worker"))

	if len(seed.Command) < 2 || seed.Command[0] != "starter" || seed.Command[1] != "gen" {
		t.Fatalf("seed command %q, want starter gen ...", seed.Command)
	}
	out := flag(seed.Command, "out")
	volume, at := seed.mount(out)
	if out == "" || volume == "" {
		t.Fatalf("seed writes to --out %q, on no volume (volumes %q)", out, seed.Volumes)
	}
	// fake-gcs-server's image runs `fake-gcs-server -data /data`.
	dataDir := flag(append(slices.Clone(gcs.Entrypoint), gcs.Command...), "data")
	if dataDir == "" {
		dataDir = "/data"
	}
	if v, gcsAt := gcs.mount(dataDir); v != volume || gcsAt != dataDir {
		t.Errorf("fake-gcs mounts %q at %q, want the seed's volume %q at its -data %s", v, gcsAt, volume, dataDir)
	}
	if c := gcs.DependsOn["seed"].Condition; c != "service_completed_successfully" {
		t.Errorf("fake-gcs depends on seed with condition %q, want service_completed_successfully", c)
	}
	// Under -data, each top folder is a bucket and what is below it objects.
	rel, err := filepath.Rel(at, out)
	if err != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("seed --out %s is not under its volume at %s", out, at)
	}
	bucket, prefix, _ := strings.Cut(filepath.ToSlash(rel), "/")

	sourceBucket, sourcePrefix := splitGS(t, cfg.Source.URI)
	if sourceBucket != bucket || sourcePrefix != prefix {
		t.Errorf("source.uri %s, but the seed writes gs://%s/%s", cfg.Source.URI, bucket, prefix)
	}
	// The emulator has only the seeded bucket: staging and dead letter are
	// prefixes of it, outside the source (which is read at any depth).
	for key, uri := range map[string]string{"staging.uri": cfg.Staging.URI, "deadletter.uri": cfg.DeadLetter.URI} {
		b, p := splitGS(t, uri)
		if b != bucket {
			t.Errorf("%s %s: bucket %q is not the seeded %q, and fake-gcs-server has no other", key, uri, b, bucket)
		}
		if p == "" || p == sourcePrefix || strings.HasPrefix(p+"/", sourcePrefix+"/") || strings.HasPrefix(sourcePrefix+"/", p+"/") {
			t.Errorf("%s %s overlaps the source %s", key, uri, cfg.Source.URI)
		}
	}
}

// The Dockerfile builds the worker and starter commands that exist, with cgo
// (DuckDB), and the services run those binaries from that image.
func TestComposeImageBuildsTheBinaries(t *testing.T) {
	f := loadCompose(t)
	data, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	var built []string // binaries: the base names of the built packages
	sc := bufio.NewScanner(strings.NewReader(strings.ReplaceAll(string(data), "\\\n", " ")))
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "CGO_ENABLED=0") {
			t.Errorf("Dockerfile: %q: DuckDB needs cgo", strings.TrimSpace(line))
		}
		_, build, ok := strings.Cut(line, "go build")
		if !ok {
			continue
		}
		for _, arg := range strings.Fields(build) {
			if !strings.HasPrefix(arg, "./") {
				continue
			}
			pkg := filepath.Join("..", filepath.FromSlash(arg))
			if !isMainPackage(t, pkg) {
				t.Errorf("Dockerfile builds %s: no package main in %s", arg, pkg)
			}
			built = append(built, path.Base(arg))
		}
	}
	if !strings.Contains(string(data), "CGO_ENABLED=1") {
		t.Error("Dockerfile does not set CGO_ENABLED=1: DuckDB needs cgo")
	}
	for _, want := range []string{"worker", "starter"} {
		if !slices.Contains(built, want) {
			t.Errorf("Dockerfile's go build does not build ./%s (builds %q)", want, built)
		}
	}

	images := map[string]bool{}
	for _, name := range []string{"worker", "seed", "starter"} {
		s := f.service(t, name)
		if s.Build == nil || s.Build.Context != "." || (s.Build.Dockerfile != "" && s.Build.Dockerfile != "Dockerfile") {
			t.Errorf("%s: build %+v, want the Dockerfile at the root", name, s.Build)
		}
		images[s.Image] = true
		run := append(slices.Clone(s.Entrypoint), s.Command...)
		if len(run) == 0 || !slices.Contains(built, run[0]) {
			t.Errorf("%s runs %q, not one of the built binaries %q", name, run, built)
		}
	}
	if len(images) != 1 {
		t.Errorf("worker, seed and starter name different images %v: one build serves all three", images)
	}

	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(ignore))
	for _, want := range []string{"data/", ".git", "*.test"} {
		if !slices.Contains(lines, want) && !slices.Contains(lines, "/"+want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}

// Prometheus scrapes the worker's metrics port and evaluates the alert
// rules of the repository, which name its job.
func TestComposePrometheusScrapesTheWorker(t *testing.T) {
	f := loadCompose(t)
	prom := f.service(t, "prometheus")
	configFile := flag(prom.Command, "config.file")
	if configFile == "" {
		t.Fatalf("prometheus command %q has no --config.file", prom.Command)
	}
	data, err := os.ReadFile(f.hostPath(t, "prometheus", configFile))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Type  string   `yaml:"type"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("%s: %v", configFile, err)
	}
	if v, _ := prom.mount(flag(prom.Command, "storage.tsdb.path")); v == "" || strings.HasPrefix(v, ".") {
		t.Errorf("prometheus keeps its data (--storage.tsdb.path %q) on no named volume", flag(prom.Command, "storage.tsdb.path"))
	}

	// A job whose targets are the worker service on its metrics port: static,
	// or every container of the service by DNS (A records: Docker's DNS
	// serves no SRV).
	_, port, err := net.SplitHostPort(f.service(t, "worker").Environment[envName("metrics.address")])
	if err != nil {
		t.Fatal(err)
	}
	want := net.JoinHostPort("worker", port)
	job := ""
	for _, sc := range cfg.ScrapeConfigs {
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			continue
		}
		var targets []string
		for _, s := range sc.StaticConfigs {
			targets = append(targets, s.Targets...)
		}
		for _, d := range sc.DNSSDConfigs {
			for _, name := range d.Names {
				if d.Type == "A" || d.Type == "AAAA" {
					targets = append(targets, net.JoinHostPort(name, strconv.Itoa(d.Port)))
				}
			}
		}
		if slices.Contains(targets, want) {
			job = sc.JobName
		}
	}
	if job == "" {
		t.Fatalf("no scrape job of %s reaches %s/metrics, the worker's %s", configFile, want, envName("metrics.address"))
	}

	// The rule files are the repository's, relative to the configuration,
	// and the rules on scrapes name that job.
	if len(cfg.RuleFiles) == 0 {
		t.Errorf("%s loads no rule files", configFile)
	}
	for _, rf := range cfg.RuleFiles {
		if !path.IsAbs(rf) {
			rf = path.Join(path.Dir(configFile), rf)
		}
		matches, err := filepath.Glob(f.hostPath(t, "prometheus", rf))
		if err != nil || len(matches) == 0 {
			t.Errorf("rule_files %s: no such file in the repository (%v)", rf, err)
		}
		for _, m := range matches {
			text, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(text), "up{") && !strings.Contains(string(text), `job="`+job+`"`) {
				t.Errorf("%s: its rules on up name no job=%q, the job that scrapes the worker", m, job)
			}
		}
	}
}

// Grafana is provisioned from the repository with the compose Prometheus
// as its datasource, and with dashboards mounted where its provider reads
// them.
func TestComposeGrafanaIsProvisioned(t *testing.T) {
	f := loadCompose(t)
	g := f.service(t, "grafana")
	if c := g.DependsOn["prometheus"].Condition; c == "" {
		t.Error("grafana does not depend on prometheus")
	}
	// provisioned passes each YAML file that Grafana provisions from dir to
	// each, and says how many there were.
	provisioned := func(dir string, each func(data []byte)) int {
		files, err := filepath.Glob(filepath.Join(f.hostPath(t, "grafana", dir), "*.y*ml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			each(data)
		}
		return len(files)
	}

	// Prometheus listens on 9090 unless told otherwise.
	promAddr := "prometheus:9090"
	if a := flag(f.service(t, "prometheus").Command, "web.listen-address"); a != "" {
		_, port, _ := net.SplitHostPort(a)
		promAddr = net.JoinHostPort("prometheus", port)
	}
	var urls []string
	provisioned("/etc/grafana/provisioning/datasources", func(data []byte) {
		var ds struct {
			Datasources []struct {
				Type string `yaml:"type"`
				URL  string `yaml:"url"`
			} `yaml:"datasources"`
		}
		if err := yaml.Unmarshal(data, &ds); err != nil {
			t.Errorf("datasource provisioning: %v", err)
		}
		for _, d := range ds.Datasources {
			if d.Type == "prometheus" {
				urls = append(urls, d.URL)
			}
		}
	})
	if !slices.Contains(urls, "http://"+promAddr) {
		t.Errorf("grafana's prometheus datasources are at %q, want http://%s", urls, promAddr)
	}

	dashboards := 0
	n := provisioned("/etc/grafana/provisioning/dashboards", func(data []byte) {
		var p struct {
			Providers []struct {
				Type    string `yaml:"type"`
				Options struct {
					Path string `yaml:"path"`
				} `yaml:"options"`
			} `yaml:"providers"`
		}
		if err := yaml.Unmarshal(data, &p); err != nil {
			t.Errorf("dashboard provisioning: %v", err)
		}
		for _, pr := range p.Providers {
			if pr.Type != "file" && pr.Type != "" {
				continue
			}
			files, err := filepath.Glob(filepath.Join(f.hostPath(t, "grafana", pr.Options.Path), "*.json"))
			if err != nil {
				t.Fatal(err)
			}
			dashboards += len(files)
		}
	})
	if n == 0 || dashboards == 0 {
		t.Errorf("grafana: %d dashboard providers reading %d dashboards of the repository, want some", n, dashboards)
	}
	if home := g.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != "" {
		if _, err := os.Stat(f.hostPath(t, "grafana", home)); err != nil {
			t.Errorf("grafana's home dashboard: %v", err)
		}
	}
}

// isMainPackage reports whether dir holds a non-test Go file of package main.
func isMainPackage(t *testing.T, dir string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.PackageClauseOnly)
		if err == nil && file.Name.Name == "main" {
			return true
		}
	}
	return false
}
