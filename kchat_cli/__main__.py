from kchat_cli.app import main

main()
