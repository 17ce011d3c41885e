/* Learning-rate schedules (see schedule.h for the formulas). */
#include "nn/schedule.h"

#include <math.h>

double nnt__schedule_base_lr(const nnt_train_options *o)
{
    double lr = o->lr;
    if (o->scale_lr_with_batch && o->lr_reference_batch > 0)
        lr *= (double)o->batch_size / (double)o->lr_reference_batch;
    return lr;
}

double nnt__schedule_epoch_lr(const nnt_train_options *o, double base, int epoch)
{
    if (epoch < 1) epoch = 1;
    switch (o->schedule) {
    case NNT_SCHED_STEP: {
        int period = o->step_epochs > 0 ? o->step_epochs : 1;
        return base * pow(o->step_gamma, (double)((epoch - 1) / period));
    }
    case NNT_SCHED_COSINE: {
        int total = o->max_epochs > 0 ? o->max_epochs : 1;
        double t = (double)(epoch - 1) / (double)total;
        if (t > 1.0) t = 1.0;
        double floor_lr = base * o->min_lr_fraction;
        return floor_lr + (base - floor_lr) * 0.5 * (1.0 + cos(3.14159265358979323846 * t));
    }
    case NNT_SCHED_CONSTANT: break;
    }
    return base;
}

double nnt__schedule_warmup(const nnt_train_options *o, int epoch, int batch, int n_batches)
{
    if (o->warmup_epochs <= 0) return 1.0;
    if (n_batches < 1) n_batches = 1;
    double progress = (double)(epoch - 1) + (double)batch / (double)n_batches;
    double f = progress / (double)o->warmup_epochs;
    return f < 1.0 ? f : 1.0;
}

double nnt__schedule_lr(const nnt_train_options *o, int epoch, int batch, int n_batches)
{
    return nnt__schedule_epoch_lr(o, nnt__schedule_base_lr(o), epoch) *
           nnt__schedule_warmup(o, epoch, batch, n_batches);
}
