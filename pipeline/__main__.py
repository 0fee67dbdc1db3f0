from pipeline.cli import console_main

if __name__ == "__main__":  # guarded: worker processes re-import the main module
    raise SystemExit(console_main())
