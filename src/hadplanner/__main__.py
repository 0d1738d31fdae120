from hadplanner.cli import main

main()
