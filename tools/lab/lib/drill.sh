cmd_drill() { die "drill: not yet"; }
