#@title Colab set-up (run me first) { display-mode: "form" }
# Colab set-up: does nothing outside Colab. On Colab: mount your Drive first (folder icon on the left), then
# this finds the assignment folder in your Drive (or /content), or unpacks lung_segmentation.zip there,
# installs what Colab lacks (keeping Colab's own TensorFlow) and reads your Kaggle token from Colab's secrets.
try:
    from google.colab import userdata
except ImportError:
    userdata = None
if userdata is not None:
    import importlib.util, os, subprocess, sys, zipfile
    from pathlib import Path

    here = Path.cwd()  # /content, or the assignment folder once this cell has run
    drive = here / "drive" / "MyDrive"
    home = drive if drive.is_dir() else here  # where work survives a disconnect: Drive, when mounted
    levels = ["", "*/", "*/*/", "*/*/*/"]  # the Drive's top and three folders down
    folders = [here, *(f for level in levels for f in sorted(home.glob(level + "lung_segmentation")))]
    folder = next((f for f in folders if (f / "helpers").is_dir()), None)
    if folder is None:
        zips = [z for level in levels for z in sorted(home.glob(level + "lung_segmentation*.zip"),
                                                       key=lambda z: (z.name != "lung_segmentation.zip", z.name))]
        assert zips, f"no lung_segmentation folder or zip in {home}: upload lung_segmentation.zip there, then re-run"
        zipfile.ZipFile(zips[0]).extractall(zips[0].parent)  # the exact name first, then "(1)" and the like
        folder = zips[0].parent / "lung_segmentation"
    os.chdir(folder)
    if "MyDrive" in folder.parts:  # the data downloads once, next to the assignment, not on every reconnect
        os.environ.setdefault("LUNGKIT_CACHE", str(folder.parent / "lung_segmentation_data"))
    else:
        print(f"WARNING: working in {folder}, which Colab empties when it disconnects: mount Drive, re-run this cell")
    pinned = [line.split("#")[0].split(";")[0].strip() for line in open("requirements.txt")]
    pins = dict(pin.split("==") for pin in pinned if "==" in pin)
    modules = {"cv2": "opencv-python-headless", "scipy": "scipy", "matplotlib": "matplotlib", "kaggle": "kaggle"}
    lacking = [f"{name}=={pins[name]}" for module, name in modules.items() if importlib.util.find_spec(module) is None]
    if lacking:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *lacking], check=True)
    try:
        os.environ.setdefault("KAGGLE_API_TOKEN", userdata.get("KAGGLE_API_TOKEN"))
    except Exception as error:  # Colab's SecretNotFoundError or NotebookAccessError
        print(f"no Kaggle token in Colab's secrets ({type(error).__name__}): add KAGGLE_API_TOKEN (key icon)")
    print(f"Colab: working in {folder}; installed {', '.join(lacking) or 'nothing'}")
