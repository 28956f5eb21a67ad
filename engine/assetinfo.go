package engine

// SelectAssets returns the names of the selected assets, in topological order.
func (c *Catalog) SelectAssets(selection string) ([]string, error) {
	sel, err := c.selectAssets(selection)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(sel))
	for k, i := range sel {
		out[k] = c.assets.nodes[i].name
	}
	return out, nil
}

// AssetKey returns the key columns an asset declares (nil for none or an
// unknown asset).
func (c *Catalog) AssetKey(name string) []string {
	if i, ok := c.assets.index[name]; ok {
		return c.assets.nodes[i].key
	}
	return nil
}

// AssetIOManager returns the resource key of an asset's I/O manager.
func (c *Catalog) AssetIOManager(name string) string {
	if i, ok := c.assets.index[name]; ok {
		return c.assets.nodes[i].ioManager
	}
	return DefaultIOManager
}

// AssetChecks returns the names of an asset's checks.
func (c *Catalog) AssetChecks(name string) []string {
	i, ok := c.assets.index[name]
	if !ok {
		return nil
	}
	out := make([]string, len(c.assets.nodes[i].checks))
	for k, ch := range c.assets.nodes[i].checks {
		out[k] = ch.Name
	}
	return out
}
