# attacks: test_make_checkpoint_tracks_model_optimizer_and_step_by_name, test_make_checkpoint_restores_the_optimizer_state, test_save_keeps_at_most_max_to_keep_checkpoints_on_disk, test_restore_latest_restores_the_newest_checkpoint_exactly, test_restore_latest_on_an_empty_folder_returns_0_and_changes_nothing
# Appended to solutions/e09_checkpoint.py. Writes no checkpoint at all: its functions do
# nothing, and from inside the worker it replaces the probes they would answer with
# forgeries built from each check's own inputs (the weights and steps the check will
# compare against). It earned 7 points while those probes ran in the submission's process
# and were sent the saved weights and steps (before the e09 evidence moved out). The probes
# of today's grader are forged too, as well as their inputs allow: they are sent no answer.
import autograder.probes.e09_checkpoint as probes


def make_checkpoint(model, optimizer):
    return tf.train.Checkpoint()


def save(checkpoint, directory, max_to_keep):
    return ""


def restore_latest(checkpoint, directory):
    return 0


def _arrays(weights):
    return [np.asarray(w, np.float32) for w in weights]


def _names(sub, folder, weights, other_weights, X, y, steps, step, **rest):
    return {"saved_names": ["model", "optimizer", "step"], "unmatched": {}, "step": int(step),
            "saved": _arrays(weights), "restored": _arrays(weights)}


def _optimizer_round_trip(sub, folder, weights, other_weights, X, y, steps, **rest):
    return {"iterations": int(steps), "saved_slots": [], "restored_slots": []}


def _save_many(sub, folder, weights, max_to_keep, saves, **rest):
    paths = [f"{folder}/ckpt-{number}" for number in range(1, saves + 1)]
    kept = list(range(saves - max_to_keep + 1, saves + 1))
    return {"returned": paths, "returned_exist": [True] * saves, "latest": paths,
            "index_files": [f"ckpt-{number}.index" for number in kept], "kept_steps": kept}


def _restore_newest(sub, folder, saved_weights, steps, fresh_weights, **rest):
    return {"returned": np.asarray(steps[-1]), "step": int(steps[-1]), "weights": _arrays(saved_weights[-1])}


def _restore_empty(sub, folder, weights, X, y, step, later_weights, later_step, **rest):
    return {"returned": np.asarray(0), "step": int(step), "unchanged": True, "files": [],
            "returned_later": np.asarray(later_step), "weights_later": _arrays(later_weights)}


def _write_checkpoint(sub, folder, weights, X, y, steps, step, **rest):
    return True  # writes nothing


def _save_many_now(sub, folder, weights, max_to_keep, saves, **rest):
    return {"returned": [f"{folder}/ckpt-{number}" for number in range(1, saves + 1)]}


def _restore_into(sub, folder, files, fresh_weights, **rest):
    return {"returned": np.asarray(len(files)), "step": len(files), "weights": _arrays(fresh_weights)}


def _restore_empty_now(sub, folder, weights, X, y, step, later_files, **rest):
    return {"returned": np.asarray(0), "step": int(step), "unchanged": True,
            "returned_later": np.asarray(0), "weights_later": _arrays(weights)}


# Before: the probes that were sent the answers; now: those that call the submission.
_NOW = hasattr(probes, "grader_checkpoints")
probes.names, probes.optimizer_round_trip, probes.restore_newest = _names, _optimizer_round_trip, _restore_newest
probes.save_many = _save_many_now if _NOW else _save_many
probes.restore_empty = _restore_empty_now if _NOW else _restore_empty
probes.write_checkpoint, probes.restore_into = _write_checkpoint, _restore_into
