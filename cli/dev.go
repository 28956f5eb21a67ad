package cli

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/warehouse"
)

func (c *cli) devCmd() *cobra.Command {
	dev := &cobra.Command{
		Use:   "dev",
		Short: "Local development tools",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var dir, user, addr, publicKey string
	server := &cobra.Command{
		Use:   "snowflake-server",
		Short: "Start a local test double of Snowflake (NOT Snowflake) to try the Snowflake code path",
		Long: `Start a local HTTP server that speaks the part of Snowflake's client protocol assetflow's
Snowflake backend uses, backed by DuckDB files in --dir. It is a test double for trying the
Snowflake code path (the real gosnowflake driver, its login, bindings and errors) on a laptop.
It is NOT Snowflake: it understands only the statements assetflow sends.

The password is read from SYSTEM_SNOWFLAKE_PASSWORD, as clients read it; with
--public-key, the user can also sign in with the matching private key (SNOWFLAKE_JWT). The database
PRODUCTION exists from the start, as on an account. Stop it with Ctrl-C.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			password, ok := c.lookup(resources.PasswordVar)
			if !ok || password == "" {
				return engine.Usagef("dev snowflake-server: set %s to the password clients will log in with", resources.PasswordVar)
			}
			if err := warehouse.CheckIdent("user", user); err != nil {
				return engine.Usagef("--user: %v", err)
			}
			keys, err := devPublicKeys(user, publicKey)
			if err != nil {
				return err
			}
			srv, err := sfserver.StartOn(cmd.Context(), sfserver.Config{Dir: dir, Users: map[string]string{user: password},
				Databases: []string{warehouse.Production}, PublicKeys: keys}, addr)
			if err != nil {
				return fmt.Errorf("dev snowflake-server: %w", err)
			}
			defer srv.Close()
			fmt.Fprintf(c.stderr, "\n  *** LOCAL TEST DOUBLE — THIS IS NOT SNOWFLAKE ***\n"+
				"  It speaks enough of Snowflake's client protocol for assetflow's Snowflake backend,\n"+
				"  backed by DuckDB files in %s. Use it to try the Snowflake code path; nothing else.\n\n", dir)
			u := url.URL{Scheme: "snowflake", User: url.User(user), Host: "local",
				RawQuery: fmt.Sprintf("host=127.0.0.1&port=%d&protocol=http", srv.Port())}
			c.printf("listening on %s\n", srv.Addr())
			c.printf("export %s='%s'\n", resources.WarehouseVar, u.String())
			c.printf("export %s=...   # the same password\n", resources.PasswordVar)
			<-cmd.Context().Done()
			fmt.Fprintln(c.stderr, "stopping the local Snowflake test double")
			return nil
		},
	}
	server.Flags().StringVar(&dir, "dir", ".assetflow/snowflake", "folder for the double's DuckDB database files")
	server.Flags().StringVar(&user, "user", "ASSETFLOW", "the user clients log in as")
	server.Flags().StringVar(&publicKey, "public-key", "", "a PEM public key file (openssl rsa -pubout) the user may sign in with")
	server.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "address to listen on (default: a free port on 127.0.0.1)")
	dev.AddCommand(server)
	return dev
}
