// pulumi-language-python: a small Python language host for the Pulumi CLI, written for this project.
//
// Why it exists: the upstream host is its own Go module
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) with no tags, so it can only be fetched by
// pseudo-version, and the Go module proxy these machines reach does not serve it. The pieces it needs are in
// modules that are served: the gRPC contract (sdk/v3/proto/go), the Python toolchain resolution
// (sdk/v3/python/toolchain) and the program launcher script `pulumi-language-python-exec` (in the sdk/v3 module
// zip). scripts/bootstrap builds this file against the pinned sdk/v3 and puts the launcher script beside it.
//
// What it implements: the LanguageRuntime calls that `pulumi preview/up/refresh/destroy/stack/about/install` use:
// Handshake, GetPluginInfo, GetRequiredPlugins/GetRequiredPackages (from the installed packages'
// pulumi-plugin.json files), Run (starts the launcher script with the program), InstallDependencies, About,
// GetProgramDependencies and RunPlugin (for plugins written in Python). Everything else (code generation,
// templates, packing, `pulumi convert`) answers Unimplemented. Known gaps against the upstream host: no
// typechecker option, no debugger attach, no parameterized packages.
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
	"strings"
	"sync"
	"time"

	pbempty "google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

// Exit code the launcher script uses after it has already shown the user an actionable error.
const bailExitCode = 32

const execScriptName = "pulumi-language-python-exec"

// listPluginsScript prints, as JSON, the resource plugins that the installed Python packages declare in their
// pulumi-plugin.json files.
const listPluginsScript = `
import json, sys
try:
    import importlib.metadata as md
except ImportError:
    print("[]"); sys.exit(0)
out, seen = [], set()
for dist in md.distributions():
    for f in (dist.files or []):
        if f.name != "pulumi-plugin.json":
            continue
        try:
            data = json.loads(f.read_text())
        except Exception:
            continue
        if not data.get("resource"):
            continue
        name = data.get("name") or dist.metadata["Name"]
        ver = data.get("version") or dist.version
        key = (name, ver)
        if key in seen:
            continue
        seen.add(key)
        out.append({"name": name, "version": ver, "server": data.get("server", "")})
print(json.dumps(out))
`

// aboutScript prints the interpreter's path and version in one start of Python. The SDK's toolchain About starts
// Python three times, once importing pip for a version this host does not report; the CLI waits for About before
// every preview and update.
const aboutScript = `
import json, platform, sys
print(json.dumps({"executable": sys.executable, "version": platform.python_version()}))
`

// configInlineLimit: above this size the program's configuration does not travel in the PULUMI_CONFIG environment
// variable. Linux refuses to start a process with any single environment string over 128 KiB ("argument list too
// long"), which a stack of about 450 applications reaches; the Python SDK reads its configuration only from that
// variable. Larger configurations go through a pipe (fd 3), and configLoaderScript puts them into the variable
// inside the program's process before the launcher script runs. A pipe, not a file: the configuration carries the
// stack's decrypted secrets, which must not touch the disk.
const configInlineLimit = 64 * 1024

const configLoaderScript = `
import os, runpy, sys
with os.fdopen(3, "rb") as config:
    os.environ["PULUMI_CONFIG"] = config.read().decode("utf-8")
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
runpy.run_path(sys.argv[0], run_name="__main__")
`

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	execPath string

	mu            sync.Mutex
	engineAddress string
}

func main() {
	// The CLI passes logging/tracing flags and then the engine address as the last positional argument.
	// Unknown flags must not stop the host, so parse leniently.
	fs := flag.NewFlagSet("pulumi-language-python", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("logtostderr", false, "")
	fs.Bool("logflow", false, "")
	fs.Int("v", 0, "")
	fs.String("tracing", "", "")
	fs.String("root", "", "")
	fs.String("virtualenv", "", "")
	fs.String("typechecker", "", "")
	fs.String("toolchain", "", "")
	showVersion := fs.Bool("version", false, "")
	var positional []string
	args := os.Args[1:]
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			// Skip the unknown flag and keep going.
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

	self, err := os.Executable()
	if err == nil {
		if resolved, rerr := filepath.EvalSymlinks(self); rerr == nil {
			self = resolved
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: cannot find own executable: %v\n", err)
		os.Exit(1)
	}
	execPath := filepath.Join(filepath.Dir(self), execScriptName)
	if _, err := os.Stat(execPath); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: missing executor %s (it must sit beside this binary)\n", execPath)
		os.Exit(1)
	}

	h := &host{execPath: execPath}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if len(positional) > 0 && positional[len(positional)-1] != "" {
		h.engineAddress = positional[len(positional)-1]
		// Exit when the engine goes away.
		if err := rpcutil.Healthcheck(ctx, h.engineAddress, 5*time.Minute, cancel); err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-language-python: could not start health check: %v\n", err)
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
		fmt.Fprintf(os.Stderr, "pulumi-language-python: could not start server: %v\n", err)
		os.Exit(1)
	}
	// The CLI reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
}

func optionString(info *pulumirpc.ProgramInfo, key string) string {
	if info == nil || info.GetOptions() == nil {
		return ""
	}
	if v, ok := info.GetOptions().AsMap()[key].(string); ok {
		return v
	}
	return ""
}

// resolveToolchain picks python the way the project's Pulumi.yaml asks for it (runtime.options.toolchain and
// runtime.options.virtualenv), using the SDK's own resolution code.
func resolveToolchain(info *pulumirpc.ProgramInfo) (toolchain.Toolchain, error) {
	opts := toolchain.PythonOptions{}
	if info != nil {
		opts.Root = info.GetRootDirectory()
		opts.ProgramDir = info.GetProgramDirectory()
	}
	if opts.ProgramDir == "" {
		opts.ProgramDir = opts.Root
	}
	opts.Virtualenv = optionString(info, "virtualenv")
	switch strings.ToLower(optionString(info, "toolchain")) {
	case "pip":
		opts.Toolchain = toolchain.Pip
	case "uv":
		opts.Toolchain = toolchain.Uv
	case "poetry":
		opts.Toolchain = toolchain.Poetry
	case "":
		if opts.Virtualenv != "" {
			opts.Toolchain = toolchain.Pip
		} else {
			opts.Toolchain = toolchain.Auto
		}
	default:
		return nil, fmt.Errorf("unsupported runtime.options.toolchain %q", optionString(info, "toolchain"))
	}
	return toolchain.ResolveToolchain(opts)
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

type pluginEntry struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Server  string `json:"server"`
}

func (h *host) installedPlugins(ctx context.Context, info *pulumirpc.ProgramInfo) ([]pluginEntry, error) {
	tc, err := resolveToolchain(info)
	if err != nil {
		return nil, err
	}
	cmd, err := tc.Command(ctx, "-c", listPluginsScript)
	if err != nil {
		return nil, err
	}
	if info != nil && info.GetProgramDirectory() != "" {
		cmd.Dir = info.GetProgramDirectory()
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the Python packages' Pulumi plugins with %s failed: %w: %s",
			cmd.Path, err, strings.TrimSpace(stderr.String()))
	}
	var entries []pluginEntry
	if err := json.Unmarshal(out, &entries); err != nil {
		return nil, fmt.Errorf("unexpected output while listing Pulumi plugins: %w: %q", err, string(out))
	}
	return entries, nil
}

func (h *host) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	entries, err := h.installedPlugins(ctx, req.GetInfo())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, e := range entries {
		resp.Plugins = append(resp.Plugins, &pulumirpc.PluginDependency{
			Name: e.Name, Kind: "resource", Version: e.Version, Server: e.Server,
		})
	}
	return resp, nil
}

func (h *host) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	entries, err := h.installedPlugins(ctx, req.GetInfo())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, e := range entries {
		resp.Packages = append(resp.Packages, &pulumirpc.PackageDependency{
			Name: e.Name, Kind: "resource", Version: e.Version, Server: e.Server,
		})
	}
	return resp, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	tc, err := resolveToolchain(info)
	if err != nil {
		return nil, err
	}

	program := req.GetProgram()
	if info != nil && info.GetProgramDirectory() != "" {
		entry := info.GetEntryPoint()
		if entry == "" {
			entry = "."
		}
		program = filepath.Join(info.GetProgramDirectory(), entry)
	}
	if program == "" {
		program = "."
	}

	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()

	args := []string{h.execPath}
	if req.GetMonitorAddress() != "" {
		args = append(args, "--monitor", req.GetMonitorAddress())
	}
	if engine != "" {
		args = append(args, "--engine", engine)
	}
	if req.GetProject() != "" {
		args = append(args, "--project", req.GetProject())
	}
	if info != nil && info.GetRootDirectory() != "" {
		args = append(args, "--root_directory", info.GetRootDirectory())
	}
	if req.GetStack() != "" {
		args = append(args, "--stack", req.GetStack())
	}
	if req.GetPwd() != "" {
		args = append(args, "--pwd", req.GetPwd())
	}
	if req.GetDryRun() {
		args = append(args, "--dry_run", "true")
	}
	args = append(args, "--parallel", fmt.Sprint(req.GetParallel()))
	if req.GetOrganization() != "" {
		args = append(args, "--organization", req.GetOrganization())
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	configMap := req.GetConfig()
	if configMap == nil {
		configMap = map[string]string{}
	}
	config, err := json.Marshal(configMap)
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
	viaPipe := len(config) > configInlineLimit
	if viaPipe {
		args = append([]string{"-c", configLoaderScript}, args...)
	}

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	if viaPipe {
		reader, writer, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		defer reader.Close()
		defer writer.Close() // unblocks the writer below if the program never reads
		cmd.ExtraFiles = []*os.File{reader}
		go func() {
			_, _ = writer.Write(config)
			writer.Close()
		}()
	} else {
		cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config))
	}
	cmd.Env = append(cmd.Env,
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
		"PYTHONUNBUFFERED=1",
	)
	if req.GetPwd() != "" {
		cmd.Dir = req.GetPwd()
	}
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
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program (could not run %s): %v",
			cmd.Path, err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
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
	tc, err := resolveToolchain(req.GetInfo())
	if err != nil {
		return err
	}
	dir := req.GetDirectory()
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		dir = info.GetProgramDirectory()
	}
	var mu sync.Mutex
	stdout := streamWriter{mu: &mu, send: server.Send}
	stderr := streamWriter{mu: &mu, send: server.Send, stderr: true}
	return tc.InstallDependencies(server.Context(), dir, req.GetUseLanguageVersionTools(),
		true /*showOutput*/, stdout, stderr)
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	tc, err := resolveToolchain(req.GetInfo())
	if err != nil {
		return nil, err
	}
	cmd, err := tc.Command(ctx, "-c", aboutScript)
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("asking %s for its version failed: %w: %s", cmd.Path, err, strings.TrimSpace(stderr.String()))
	}
	var about struct {
		Executable string `json:"executable"`
		Version    string `json:"version"`
	}
	if err := json.Unmarshal(out, &about); err != nil {
		return nil, fmt.Errorf("unexpected output from %s: %w: %q", cmd.Path, err, string(out))
	}
	return &pulumirpc.AboutResponse{
		Executable: about.Executable,
		Version:    about.Version,
		Metadata:   map[string]string{"host": "auth0-m2m minimal python language host " + version},
	}, nil
}

func (h *host) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := resolveToolchain(req.GetInfo())
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, p := range pkgs {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return resp, nil
}

// runPluginWriter forwards a plugin's output as RunPlugin responses.
type runPluginWriter struct {
	mu     *sync.Mutex
	send   func(*pulumirpc.RunPluginResponse) error
	stderr bool
}

func (w runPluginWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	data := append([]byte(nil), p...)
	resp := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: data}}
	if w.stderr {
		resp = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: data}}
	}
	if err := w.send(resp); err != nil {
		return 0, err
	}
	return len(p), nil
}

// RunPlugin starts a plugin written in Python (a directory with PulumiPlugin.yaml and __main__.py).
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	info := req.GetInfo()
	tc, err := resolveToolchain(info)
	if err != nil {
		return err
	}
	program := req.GetProgram()
	if info != nil && info.GetProgramDirectory() != "" {
		entry := info.GetEntryPoint()
		if entry == "" {
			entry = "."
		}
		program = filepath.Join(info.GetProgramDirectory(), entry)
	}
	cmd, err := tc.Command(server.Context(), append([]string{"-u", program}, req.GetArgs()...)...)
	if err != nil {
		return err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	if req.GetPwd() != "" {
		cmd.Dir = req.GetPwd()
	}
	var mu sync.Mutex
	cmd.Stdout = runPluginWriter{mu: &mu, send: server.Send}
	cmd.Stderr = runPluginWriter{mu: &mu, send: server.Send, stderr: true}
	code := 0
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return err
		}
		code = exitErr.ExitCode()
	}
	mu.Lock()
	defer mu.Unlock()
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}
