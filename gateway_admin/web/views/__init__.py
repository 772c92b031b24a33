"""Dashboard views, one module per page. Views stay thin: forms validate, services write, selectors read."""
