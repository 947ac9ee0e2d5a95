"""`kchat chat`: the full-screen console (the App in `app`), the second front end beside the
command line. It acts through the same runtime calls, room verbs and domain functions."""
