package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/assetflow/assetflow/resources"
)

// NewRoot returns the whole command tree writing to stdout and stderr and
// reading environment variables through lookup.
func NewRoot(stdout, stderr io.Writer, lookup resources.LookupFunc) *cobra.Command {
	return newRoot(stdout, stderr, lookup)
}
