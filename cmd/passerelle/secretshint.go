package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"passerelle.im/passerelle/bridge/config"
)

// hintSecretsEnv follows a configuration error that names a transport's
// missing secret: when secrets.env beside the file sets variables this
// shell lacks, the admin ran check-config (or run) without the service's
// environment, as the README's step 4 says not to, and is told the
// command that loads it. Only the variables' names are said, never their
// values.
func hintSecretsEnv(command, path string, err error, stderr io.Writer) {
	if !missingSecret(err) {
		return
	}
	env := config.SecretsEnvPath(path) // the file examples/passerelle.service loads
	if !strings.ContainsRune(env, '/') {
		// sh's "." looks a bare name up in PATH, not here.
		env = "./" + env
	}
	f, ferr := os.Open(env)
	if errors.Is(ferr, os.ErrNotExist) {
		return
	}
	if ferr != nil {
		// Mode 0600, root's: an admin's own account cannot read it.
		fmt.Fprintf(stderr, "%s holds the service's secrets, which this shell does not have: check with them as root: sudo sh -c 'set -a; . %s; passerelle %s -c %s'\n", env, env, command, path)
		return
	}
	defer f.Close()
	var unset []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, _, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")), "=")
		name = strings.TrimSpace(name)
		if !ok || !strings.HasPrefix(name, config.SecretEnvPrefix) {
			continue
		}
		if os.Getenv(name) == "" { // empty is missing, as the configuration takes it
			unset = append(unset, name)
		}
	}
	if len(unset) == 0 {
		return
	}
	fmt.Fprintf(stderr, "%s sets %s, which this shell does not have: check with the service's secrets: sudo sh -c 'set -a; . %s; passerelle %s -c %s'\n", env, strings.Join(unset, ", "), env, command, path)
}

// missingSecret reports whether err names a transport's secret.
func missingSecret(err error) bool {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var ce *config.Error
		if errors.As(e, &ce) && strings.HasPrefix(ce.Key, "transport[") && strings.HasSuffix(ce.Key, ".secret") {
			return true
		}
	}
	return false
}
