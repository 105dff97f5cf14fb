rule train_prompts:
    """One job per dataset x model x seed writes every configured step checkpoint (step 0 is
    the untrained initial prompt; the validation steps after the last recycled one) and the
    training history; its resume state lives beside the output folder (.seedN.resume),
    outside the declared outputs, and restores them.
    """
    input:
        model=model_file("model"),
        train=train_split,
    output:
        **GRID.training_outputs(),  # one checkpoint per step: step0, step20, ...
        history=GRID.path(paths.HISTORY),
    log:
        GRID.path("logs/{run}/train_prompts/{dataset}/{model}/seed{seed}.log"),
    benchmark:
        GRID.path("benchmarks/{run}/train_prompts/{dataset}/{model}/seed{seed}.tsv")
    # first among ready jobs, with the fits (then the recycling jobs): the long jobs that the
    # most wait on start early, so the short ones fill the end of a run and no core idles
    priority: 20
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda w, attempt: GRID.mem_mb(w.model) * attempt,
        runtime=lambda w, attempt: 240 * attempt,
        gpu=1,
    params:
        tuning=lambda w: GRID.tuning(w.model, run_init(w)),
        reader=lambda w: GRID.reader(w.model, w.dataset),
        # Snakemake compares only params that name no declared file, so the grid's shape is a
        # param of its own: changing it reruns the job.
        steps=list(GRID.trained_steps),
        state=lambda w: paths.resume_state(
            w.run, w.dataset, w.model, w.seed, run_init(w)
        ),
    script:
        "../scripts/train_prompts.py"


rule prompts_all:
    input:
        GRID.prompt_files(),
