package cli

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources"
)

const envCheckHelp = `Show the environment, how it was decided, and every bound resource.

With --check, sign in to the warehouse with the environment's credentials and read the
role's privileges (SHOW GRANTS, through every role it inherits). In branch, a role that
can write PRODUCTION is refused with a non-zero exit: a branch deployment must stand
behind a privilege wall, not only behind assetflow's own guard. Run it first in CI.`

// checkAccess runs `run env --check`.
func (c *cli) checkAccess(ctx context.Context, l *loaded) error {
	c.printf("\ncheck:\n")
	spec, bound := l.catalog.ResourceSpec(resources.WarehouseKey.Name())
	wh, ok := spec.(resources.WarehouseSpec)
	if !bound || !ok {
		return engine.Usagef("env --check: this project binds no warehouse (resource %q from resources.Warehouse)", resources.WarehouseKey.Name())
	}
	report, err := resources.CheckAccess(ctx, l.env, wh.Schema, resources.Options{Lookup: c.lookup})
	for _, line := range report.Lines {
		c.printf("  %s\n", line)
	}
	if err != nil {
		return err
	}
	c.printf("  ok\n")
	return nil
}

// devPublicKeys reads the --public-key of `run dev snowflake-server`.
func devPublicKeys(user, file string) (map[string]*rsa.PublicKey, error) {
	if file == "" {
		return nil, nil
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, engine.Usagef("--public-key: %v", err)
	}
	block, _ := pem.Decode(text)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, engine.Usagef("--public-key %s: expected a PEM PUBLIC KEY (openssl rsa -in key.p8 -pubout)", file)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	k, ok := pub.(*rsa.PublicKey)
	if err != nil || !ok {
		return nil, engine.Usagef("--public-key %s: expected an RSA public key", file)
	}
	return map[string]*rsa.PublicKey{user: k}, nil
}
