// pulumi-language-nodejs: a small Node.js language host for the Pulumi CLI, written for this project.
//
// Why it exists: the upstream host is its own Go module (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// with no tags, and the Go module proxy these machines reach does not serve it. What it needs is in modules that are
// served: the gRPC contract (sdk/v3/proto/go), the Node.js SDK generator (pkg/v3/codegen/nodejs) and the schema
// loader (pkg/v3/codegen/schema); the program runner itself is JavaScript in the @pulumi/pulumi npm package
// (cmd/run), installed in the program's node_modules. scripts/bootstrap builds this file against the pinned pkg/v3.
//
// What it implements: what `pulumi package add`, `install`, `preview`, `up`, `destroy` and `stack` use for a
// TypeScript or JavaScript program with npm: Handshake, GetPluginInfo, GetRequiredPlugins/GetRequiredPackages (from
// the pulumi sections of the installed packages' package.json), Run (node <@pulumi/pulumi/cmd/run> <program>),
// InstallDependencies (npm install), GeneratePackage (the SDK generator, for local SDKs), Link (a file: dependency in
// package.json), About. Not: yarn/pnpm/bun, policy packs, plugins written in Node.js, program generation, packing,
// debugger attach.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

// Exit code @pulumi/pulumi's runner uses after it has already shown the user an actionable error.
const bailExitCode = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
}

func main() {
	fs := flag.NewFlagSet("pulumi-language-nodejs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("logtostderr", false, "")
	fs.Bool("logflow", false, "")
	fs.Int("v", 0, "")
	fs.String("tracing", "", "")
	fs.String("root", "", "")
	showVersion := fs.Bool("version", false, "")
	var positional []string
	args := os.Args[1:]
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			args = fs.Args()
			if len(args) > 0 {
				args = args[1:]
			}
			continue
		}
		positional = append(positional, fs.Args()...)
		break
	}
	if *showVersion {
		fmt.Println(version)
		return
	}

	h := &host{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if len(positional) > 0 && positional[len(positional)-1] != "" {
		h.engineAddress = positional[len(positional)-1]
		if err := rpcutil.Healthcheck(ctx, h.engineAddress, 5*time.Minute, cancel); err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start health check: %v\n", err)
			os.Exit(1)
		}
	}
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelChannel)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func programDir(info *pulumirpc.ProgramInfo, fallback string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	return fallback
}

// pulumiSection is the "pulumi" key of a package.json: a resource plugin that the package's SDK needs.
type pulumiSection struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

// installedPackages reads node_modules/<pkg>/package.json and node_modules/@scope/<pkg>/package.json.
func installedPackages(dir string) ([]pulumiSection, error) {
	root := filepath.Join(dir, "node_modules")
	var manifests []string
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	for _, entry := range entries {
		if strings.HasPrefix(entry.Name(), "@") {
			scoped, err := os.ReadDir(filepath.Join(root, entry.Name()))
			if err != nil {
				continue
			}
			for _, pkg := range scoped {
				manifests = append(manifests, filepath.Join(root, entry.Name(), pkg.Name(), "package.json"))
			}
			continue
		}
		manifests = append(manifests, filepath.Join(root, entry.Name(), "package.json"))
	}
	sort.Strings(manifests)
	seen := map[string]bool{}
	var out []pulumiSection
	for _, manifest := range manifests {
		data, err := os.ReadFile(manifest)
		if err != nil {
			continue
		}
		var pkg struct {
			Pulumi *pulumiSection `json:"pulumi"`
		}
		if json.Unmarshal(data, &pkg) != nil || pkg.Pulumi == nil || !pkg.Pulumi.Resource || pkg.Pulumi.Name == "" {
			continue
		}
		key := pkg.Pulumi.Name + "@" + pkg.Pulumi.Version
		if !seen[key] {
			seen[key] = true
			out = append(out, *pkg.Pulumi)
		}
	}
	return out, nil
}

func (h *host) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	pkgs, err := installedPackages(programDir(req.GetInfo(), req.GetProgram()))
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, p := range pkgs {
		resp.Plugins = append(resp.Plugins, &pulumirpc.PluginDependency{
			Name: p.Name, Kind: "resource", Version: p.Version, Server: p.Server,
		})
	}
	return resp, nil
}

func (h *host) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := installedPackages(programDir(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, p := range pkgs {
		resp.Packages = append(resp.Packages, &pulumirpc.PackageDependency{
			Name: p.Name, Kind: "resource", Version: p.Version, Server: p.Server,
		})
	}
	return resp, nil
}

// runner finds @pulumi/pulumi's program runner the way node would resolve it from the program's directory.
func runner(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", "run")
		if _, err := os.Stat(filepath.Join(candidate, "index.js")); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no @pulumi/pulumi in node_modules of %s or its parents: run `pulumi install` "+
				"(or `npm install`) first", dir)
		}
	}
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	dir := programDir(info, req.GetPwd())
	program := dir
	if info != nil && info.GetEntryPoint() != "" && info.GetEntryPoint() != "." {
		program = filepath.Join(dir, info.GetEntryPoint())
	}
	run, err := runner(dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()

	args := []string{run, "--monitor", req.GetMonitorAddress()}
	if engine != "" {
		args = append(args, "--engine", engine)
	}
	for flagName, value := range map[string]string{
		"--project": req.GetProject(), "--stack": req.GetStack(), "--pwd": req.GetPwd(),
		"--organization": req.GetOrganization(),
	} {
		if value != "" {
			args = append(args, flagName, value)
		}
	}
	if info != nil && info.GetRootDirectory() != "" {
		args = append(args, "--root-directory", info.GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, "--parallel", fmt.Sprint(req.GetParallel()), program)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(nonNilMap(req.GetConfig()))
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, nodeBinary(), args...)
	cmd.Env = append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
	)
	cmd.Dir = req.GetPwd()
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == bailExitCode {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nodeBinary() string {
	if node := os.Getenv("PULUMI_NODEJS_BIN"); node != "" {
		return node
	}
	return "node"
}

// streamWriter forwards bytes written to it as InstallDependencies responses.
type streamWriter struct {
	mu     *sync.Mutex
	send   func(*pulumirpc.InstallDependenciesResponse) error
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	data := append([]byte(nil), p...)
	resp := &pulumirpc.InstallDependenciesResponse{Stdout: data}
	if w.stderr {
		resp = &pulumirpc.InstallDependenciesResponse{Stderr: data}
	}
	if err := w.send(resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	dir := programDir(req.GetInfo(), req.GetDirectory())
	var mu sync.Mutex
	cmd := exec.CommandContext(server.Context(), "npm", "install", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.Stdout = streamWriter{mu: &mu, send: server.Send}
	cmd.Stderr = streamWriter{mu: &mu, send: server.Send, stderr: true}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install in %s: %w", dir, err)
	}
	return nil
}

func (h *host) GeneratePackage(
	ctx context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	loader, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.GetSchema()), &spec); err != nil {
		return nil, err
	}
	cached := schema.NewCachedLoader(loader)
	pkg, diags, err := schema.BindSpec(spec, cached, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("binding the schema of %s: %v", spec.Name, diags)
	}
	files, err := nodejs.GeneratePackage("pulumi-language-nodejs", pkg, req.GetExtraFiles(),
		req.GetLocalDependencies(), req.GetLocal(), cached)
	if err != nil {
		return nil, err
	}
	for name, content := range files {
		path := filepath.Join(req.GetDirectory(), name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, content, 0o600); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.GeneratePackageResponse{}, nil
}

// Link adds each generated SDK to the program's package.json as a file: dependency (npm install follows).
func (h *host) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	dir := programDir(req.GetInfo(), "")
	manifestPath := filepath.Join(dir, "package.json")
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		return nil, fmt.Errorf("linking needs the program's package.json: %w", err)
	}
	var manifest map[string]any
	if err := json.Unmarshal(data, &manifest); err != nil {
		return nil, fmt.Errorf("reading %s: %w", manifestPath, err)
	}
	deps, _ := manifest["dependencies"].(map[string]any)
	if deps == nil {
		deps = map[string]any{}
	}
	var instructions strings.Builder
	for _, dep := range req.GetPackages() {
		sdkManifest, err := os.ReadFile(filepath.Join(dir, dep.GetPath(), "package.json"))
		if err != nil {
			return nil, fmt.Errorf("reading the generated SDK's package.json: %w", err)
		}
		var sdk struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(sdkManifest, &sdk); err != nil || sdk.Name == "" {
			return nil, fmt.Errorf("the generated SDK in %s has no package name", dep.GetPath())
		}
		deps[sdk.Name] = "file:" + filepath.ToSlash(dep.GetPath())
		fmt.Fprintf(&instructions, "import * as %s from \"%s\";\n",
			strings.NewReplacer("-", "", "@", "", "/", "_").Replace(dep.GetPackage().GetName()), sdk.Name)
	}
	manifest["dependencies"] = deps
	out, err := json.MarshalIndent(manifest, "", "    ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(manifestPath, append(out, '\n'), 0o600); err != nil {
		return nil, err
	}
	return &pulumirpc.LinkResponse{ImportInstructions: instructions.String()}, nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, err := exec.CommandContext(ctx, nodeBinary(), "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: nodeBinary(),
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
		Metadata:   map[string]string{"host": "auth0-m2m minimal nodejs language host " + version},
	}, nil
}

func (h *host) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	data, err := os.ReadFile(filepath.Join(programDir(req.GetInfo(), req.GetProgram()), "package.json"))
	if err != nil {
		return resp, nil
	}
	var manifest struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if json.Unmarshal(data, &manifest) == nil {
		for name, v := range manifest.Dependencies {
			resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: name, Version: v})
		}
	}
	return resp, nil
}
