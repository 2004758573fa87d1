package server

// Validate checks cfg the way New does, without opening storage or binding
// anything: defaults and their combination, the admin and metrics keys,
// and an ensemble member's place in its server lines. `zkit server -check`
// calls it after ParseConfig.
//
// This is the minimal version; the configuration-checking work (unknown
// keys, ranges) extends it.
func Validate(cfg Config) error {
	c, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	if _, err := parseOpsConfig(c.Properties); err != nil {
		return err
	}
	for _, k := range []string{"preAllocSize", "snapSizeLimitInKb"} {
		if _, err := propInt(c.Properties, k, 0); err != nil {
			return err
		}
	}
	if len(c.Servers) > 1 || (c.StandaloneDisabled && len(c.Servers) > 0) {
		return checkEnsemble(&c)
	}
	return nil
}
